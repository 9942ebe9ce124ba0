// Chromium for the benchmarks: a page on a loopback origin (the server's default Origin policy
// accepts it) that can import core (`/core.js`) and any bench module named in `modules`
// (`/<name>`), from a small HTTP server in this process. `stop()` closes the browser and the page
// server; the caller stops its own servers.
import { existsSync, readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { basename, dirname, join, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const ARGS = ['--no-sandbox', '--disable-gpu', '--no-proxy-server', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']

/**
 * `cores` maps names to other builds' core entry points (e.g. `{ seed: '<worktree>/packages/core/
 * dist/index.js' }`): each entry's directory is served under `/core-<name>/`, since an entry may
 * import chunks beside it; `coreModules[name]` is the URL the page imports.
 */
export async function openBrowserPage({ modules = [], cores = {} } = {}) {
  const dirs = new Map()
  const coreModules = {}
  const serveCore = (name, entry) => {
    dirs.set(`/core-${name}/`, dirname(entry))
    return (coreModules[name] = `/core-${name}/${basename(entry)}`)
  }
  // This tree's core, read only if the page imports `/core.js`.
  const files = new Map([['/core.js', { text: `export * from '${serveCore('this-tree', fileURLToPath(import.meta.resolve('@encrypted-socket/core')))}'` }]])
  for (const [name, entry] of Object.entries(cores)) serveCore(name, entry)
  for (const name of modules) files.set(`/${name}`, fileURLToPath(new URL(name, import.meta.url)))
  const fileFor = (url) => {
    if (files.has(url)) return files.get(url)
    for (const [prefix, dir] of dirs) {
      const path = join(dir, url.slice(prefix.length))
      if (url.startsWith(prefix) && path.startsWith(dir + sep) && existsSync(path)) return path
    }
  }
  // Cross-origin isolated, so that performance.now() has 5 µs steps instead of 100 µs.
  const isolated = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' }
  const pages = createServer((request, response) => {
    const file = fileFor(request.url)
    if (file) response.writeHead(200, { 'content-type': 'text/javascript', ...isolated }).end(file.text ?? readFileSync(file))
    else response.writeHead(200, { 'content-type': 'text/html', ...isolated }).end('<!doctype html><title>bench</title>')
  }).listen(0, '127.0.0.1')
  await new Promise((resolve) => pages.once('listening', resolve))
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS })
  const page = await browser.newPage()
  await page.goto(`http://127.0.0.1:${pages.address().port}/`)
  if (!(await page.evaluate(() => globalThis.crossOriginIsolated))) console.warn('bench: the page is not cross-origin isolated (100 µs timer steps)')
  return {
    page,
    coreModules,
    version: browser.version(),
    stop: async () => {
      await browser.close()
      await new Promise((resolve) => pages.close(resolve))
    },
  }
}
