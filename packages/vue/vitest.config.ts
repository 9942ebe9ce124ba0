import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'vue',
    environment: 'jsdom',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    setupFiles: ['./test/setup.ts'],
    testTimeout: 20_000,
  },
})
