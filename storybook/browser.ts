import { playwright } from '@vitest/browser-playwright'

/** Vitest browser mode on Debian's headless Chromium. */
export const chromium = {
  enabled: true,
  headless: true,
  provider: playwright({
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    },
  }),
  instances: [{ browser: 'chromium' as const }],
}
