// The tests need two Debian packages: chromium (browser tests; `npx playwright install` cannot
// download here) and redis-server (scale-out tests). Installs whichever is missing with apt-get.
import { execSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const needed = [
  ['chromium', process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'],
  ['redis-server', '/usr/bin/redis-server'],
].filter(([, binary]) => !existsSync(binary))

if (needed.length === 0) process.exit(0)
const packages = needed.map(([name]) => name).join(' ')
const sudo = process.getuid?.() === 0 ? '' : 'sudo -n '
console.log(`Installing Debian packages the tests need: ${packages}…`)
try {
  execSync(
    `${sudo}apt-get update -qq && ${sudo}env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${packages}`,
    { stdio: 'inherit' },
  )
  // Debian starts a redis-server service on 6379; the tests start their own.
  if (packages.includes('redis-server'))
    execSync(`${sudo}sh -c 'service redis-server stop || true'`, { stdio: 'ignore' })
} catch {
  console.error(
    `Could not install ${packages}. Install them with apt-get (or set CHROMIUM_PATH) and run again.`,
  )
  process.exit(1)
}
