import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    projects: [
      'packages/*/vitest.config.ts',
      'examples/e2e/vitest.config.ts',
      'storybook/vitest.react.config.ts',
      'storybook/vitest.vue.config.ts',
    ],
  },
})
