import { defineProject } from 'vitest/config'

// The published package in a fresh Next.js App Router app: packs core and react, npm-installs
// them with Next into a temp dir and runs `next build`. Its file is named *.build.ts so that the
// `react` project (test/**/*.test.ts) does not run it too.
export default defineProject({
  test: {
    name: 'react-next',
    environment: 'node',
    include: ['test/**/*.build.ts'],
    // npm install and a production build on 2 cores, while the other projects run.
    testTimeout: 6 * 60_000,
    hookTimeout: 60_000,
  },
})
