import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    projects: [
      'packages/*/vitest.config.ts',
      // The adapters' tests again on the oldest majors/minors of their peer ranges.
      'packages/react/vitest.react18.config.ts',
      'packages/vue/vitest.vue33.config.ts',
      // @encrypted-socket/react packed and built into a fresh Next.js App Router app.
      'packages/react/vitest.next.config.ts',
      'examples/e2e/vitest.config.ts',
      'storybook/vitest.react.config.ts',
      'storybook/vitest.vue.config.ts',
    ],
  },
})
