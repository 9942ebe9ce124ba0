// The tests need these Debian packages: chromium (browser tests; `npx playwright install` cannot
// download here), redis-server (scale-out tests), and python3-websockets and python3-cryptography
// (the independent Python v2 peer in interop/python, run with Debian's /usr/bin/python3).
// Installs whichever is missing with apt-get.
import { execSync, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

/** Whether Debian's Python can import `module`. */
const pythonHas = (module) =>
  spawnSync('/usr/bin/python3', ['-c', `import ${module}`], { stdio: 'ignore' }).status === 0

const needed = [
  ['chromium', () => existsSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium')],
  ['redis-server', () => existsSync('/usr/bin/redis-server')],
  ['python3-websockets', () => pythonHas('websockets')],
  ['python3-cryptography', () => pythonHas('cryptography')],
].filter(([, present]) => !present())

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
