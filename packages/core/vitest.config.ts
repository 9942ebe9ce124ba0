import { fileURLToPath } from 'node:url'
import { defineProject } from 'vitest/config'

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url))

export default defineProject({
  // The development build's switch (see tsup.config.ts); production texts are tested on dist.
  define: { __DEV__: 'true' },
  resolve: {
    // Core's tests run against core's source, and so does the mock server they use.
    alias: {
      '@encrypted-socket/core': source('./src/index.ts'),
      '@encrypted-socket/testing': source('../testing/src/index.ts'),
    },
  },
  test: {
    name: 'core',
    environment: 'node',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
  },
})
