// Chromium for the benchmarks: a page on a loopback origin (the server's default Origin policy
// accepts it) that can import core (`/core.js`) and any bench module named in `modules`
// (`/<name>`), from a small HTTP server in this process. `stop()` closes the browser and the page
// server; the caller stops its own servers.
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const ARGS = ['--no-sandbox', '--disable-gpu', '--no-proxy-server', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']

export async function openBrowserPage({ modules = [], files: extra = {} } = {}) {
  // Paths, read when the page asks (this tree's core only if the page imports `/core.js`).
  const files = new Map([['/core.js', fileURLToPath(import.meta.resolve('@encrypted-socket/core'))]])
  // Other builds, e.g. `{ '/core-seed.js': '<path>/dist/index.js' }` for a side-by-side run.
  for (const [path, file] of Object.entries(extra)) files.set(path, file)
  for (const name of modules) files.set(`/${name}`, fileURLToPath(new URL(name, import.meta.url)))
  // Cross-origin isolated, so that performance.now() has 5 µs steps instead of 100 µs.
  const isolated = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' }
  const pages = createServer((request, response) => {
    const file = files.get(request.url)
    if (file) response.writeHead(200, { 'content-type': 'text/javascript', ...isolated }).end(readFileSync(file))
    else response.writeHead(200, { 'content-type': 'text/html', ...isolated }).end('<!doctype html><title>bench</title>')
  }).listen(0, '127.0.0.1')
  await new Promise((resolve) => pages.once('listening', resolve))
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS })
  const page = await browser.newPage()
  await page.goto(`http://127.0.0.1:${pages.address().port}/`)
  if (!(await page.evaluate(() => globalThis.crossOriginIsolated))) console.warn('bench: the page is not cross-origin isolated (100 µs timer steps)')
  return {
    page,
    version: browser.version(),
    stop: async () => {
      await browser.close()
      await new Promise((resolve) => pages.close(resolve))
    },
  }
}
