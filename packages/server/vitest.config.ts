import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'server',
    environment: 'node',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Real servers, Redis and child processes: slow when CI runs every project at once on 2 cores.
    testTimeout: 20_000,
  },
})
