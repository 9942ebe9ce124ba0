// The browser tests need Chromium. Debian's package is used (`npx playwright install` cannot
// download here); when it is missing and we may install packages, install it.
import { execSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

if (existsSync(CHROMIUM)) process.exit(0)
const root = typeof process.getuid === 'function' && process.getuid() === 0
const sudo = root ? '' : 'sudo -n '
console.log(`Chromium not found at ${CHROMIUM}: installing Debian's chromium with apt-get…`)
try {
  execSync(
    `${sudo}apt-get update -qq && ${sudo}env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium`,
    {
      stdio: 'inherit',
    },
  )
} catch {
  console.error(
    `Could not install Chromium. Install it (apt-get install chromium) or point CHROMIUM_PATH at a Chromium binary.`,
  )
  process.exit(1)
}
