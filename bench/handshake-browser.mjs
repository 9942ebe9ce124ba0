// The handshake where the client really runs: in Chromium. connect() → authenticated against a
// bare WebSocket open and an open + one JSON round trip, the page talking to our server (its own
// process) on 127.0.0.1. Alternates the three, one iteration each; medians and ratios.
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { ECDH_INFO, fmt, token } from './lib.mjs'
import { startServerProcess } from './serverProcess.mjs'

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 300)
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const coreModule = readFileSync(fileURLToPath(import.meta.resolve('@encrypted-socket/core')))

// A page on a loopback origin (the server's default Origin policy accepts it) that can import core.
const pages = createServer((request, response) => {
  if (request.url === '/core.js') {
    response.writeHead(200, { 'content-type': 'text/javascript' }).end(coreModule)
  } else {
    response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>bench</title>')
  }
}).listen(0, '127.0.0.1')
await new Promise((resolve) => pages.once('listening', resolve))

const server = await startServerProcess()
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-proxy-server', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] })
const stop = async () => {
  await browser.close()
  await server.stop()
  pages.close()
}
process.once('uncaughtException', async (error) => {
  console.error(error)
  await stop()
  process.exit(1)
})
const page = await browser.newPage()
await page.goto(`http://127.0.0.1:${pages.address().port}/`)

const medians = await page.evaluate(
  async ({ url, ecdhInfo, jwt, iterations }) => {
    const { EncryptedWebSocketClient } = await import('/core.js')
    const quiet = { info() {}, warn() {}, error() {}, debug() {} }
    // Each case resolves with the time it reached its goal, then waits until its socket is closed:
    // Chromium holds new connections to a host while earlier ones are still closing.
    const closed = (socket) => new Promise((resolve) => socket.addEventListener('close', resolve))
    const open = async () => {
      const socket = new WebSocket(url)
      await new Promise((resolve) => (socket.onopen = resolve))
      const done = performance.now()
      socket.close()
      await closed(socket)
      return done
    }
    const openAndRoundTrip = async () => {
      const socket = new WebSocket(url)
      await new Promise((resolve) => (socket.onopen = resolve))
      socket.send('{"event":"authenticate","data":{"type":"Bearer","token":"x","clientPublicKey":"AA=="}}')
      await new Promise((resolve) => (socket.onmessage = resolve))
      const done = performance.now()
      socket.close()
      await closed(socket)
      return done
    }
    let lastSocket
    class TrackedWebSocket extends WebSocket {
      constructor(...args) {
        super(...args)
        lastSocket = this
      }
    }
    const encrypted = async () => {
      const client = new EncryptedWebSocketClient({ url, ecdhInfo, token: jwt, logger: quiet, WebSocket: TrackedWebSocket })
      await client.connect()
      const done = performance.now()
      const socketClosed = closed(lastSocket)
      client.destroy()
      await socketClosed
      return done
    }
    const cases = { open, roundTrip: openAndRoundTrip, encrypted }
    const times = { open: [], roundTrip: [], encrypted: [] }
    for (const run of Object.values(cases)) for (let i = 0; i < 20; i++) await run() // warm up
    for (let i = 0; i < iterations; i++) {
      for (const [name, run] of Object.entries(cases)) {
        const start = performance.now()
        times[name].push((await run()) - start)
      }
    }
    const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]
    return Object.fromEntries(Object.entries(times).map(([name, values]) => [name, median(values)]))
  },
  { url: server.url, ecdhInfo: ECDH_INFO, jwt: await token('bench'), iterations: ITERATIONS },
)

console.log(`Handshake in Chromium ${browser.version()} against @encrypted-socket/server on 127.0.0.1 (medians of ${ITERATIONS})`)
console.table([
  { what: 'bare WebSocket open', 'median ms': fmt(medians.open, 3), 'ratio to open': '1.00' },
  { what: 'open + one JSON round trip', 'median ms': fmt(medians.roundTrip, 3), 'ratio to open': (medians.roundTrip / medians.open).toFixed(2) },
  { what: 'connect() → authenticated (encrypted)', 'median ms': fmt(medians.encrypted, 3), 'ratio to open': (medians.encrypted / medians.open).toFixed(2), target: '≤ 2.00' },
])
await stop()
process.exit(0)
