// The handshake where the client really runs: in Chromium. connect() → authenticated over
// protocol v1 and over protocol v2, against a bare WebSocket open and an open + one JSON round
// trip, the page talking to our server (its own process) on 127.0.0.1. Alternates the four, one
// iteration each; medians and ratios.
import { openBrowserPage } from './browser.mjs'
import { authenticateFrame, ECDH_INFO, fmt, token } from './lib.mjs'
import { startServerProcess } from './serverProcess.mjs'

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 300)
/** ms between two connections (BENCH_PAUSE_MS=0 shows Chromium's per-endpoint delay). */
const PAUSE = Number(process.env.BENCH_PAUSE_MS ?? 15)

const server = await startServerProcess()
const { page, version, stop: closeBrowser } = await openBrowserPage()
const stop = async () => {
  await closeBrowser()
  await server.stop()
}
process.once('uncaughtException', async (error) => {
  console.error(error)
  await stop()
  process.exit(1)
})

const medians = await page.evaluate(
  async ({ url, ecdhInfo, jwt, iterations, roundTripFrame, pause }) => {
    const { EncryptedWebSocketClient } = await import('/core.js')
    const quiet = { info() {}, warn() {}, error() {}, debug() {} }
    // Each case resolves with the time it reached its goal, then waits until its socket is closed
    // (Chromium holds new connections to a host while earlier ones are still closing) and then
    // `pause` ms more: Chromium also holds a new connection to an endpoint until 10 ms after the
    // previous one to it was established, which added 5–9 ms to every case when they followed each
    // other at once (in one measurement a bare open took 11 ms back to back, 2.6 ms with ≥ 8 ms
    // between).
    const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
    const closed = (socket) => new Promise((resolve) => socket.addEventListener('close', resolve)).then(() => sleep(pause))
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
      socket.send(roundTripFrame)
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
    const encrypted = (protocol) => async () => {
      const client = new EncryptedWebSocketClient({ url, ecdhInfo, token: jwt, logger: quiet, WebSocket: TrackedWebSocket, protocol })
      await client.connect()
      const done = performance.now()
      const socketClosed = closed(lastSocket)
      client.destroy()
      await socketClosed
      return done
    }
    const cases = { open, roundTrip: openAndRoundTrip, v1: encrypted('v1'), v2: encrypted('v2') }
    const times = { open: [], roundTrip: [], v1: [], v2: [] }
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
  { url: server.url, ecdhInfo: ECDH_INFO, jwt: await token('bench'), iterations: ITERATIONS, roundTripFrame: await authenticateFrame(), pause: PAUSE },
)

console.log(`Handshake in Chromium ${version} against @encrypted-socket/server on 127.0.0.1 (medians of ${ITERATIONS}, ${PAUSE} ms between connections)`)
console.table([
  { what: 'bare WebSocket open', 'median ms': fmt(medians.open, 3), 'ratio to open': '1.00' },
  { what: 'open + one JSON round trip', 'median ms': fmt(medians.roundTrip, 3), 'ratio to open': (medians.roundTrip / medians.open).toFixed(2) },
  { what: 'connect() → authenticated, protocol v1', 'median ms': fmt(medians.v1, 3), 'ratio to open': (medians.v1 / medians.open).toFixed(2), target: '≤ 2.00' },
  { what: 'connect() → authenticated, protocol v2', 'median ms': fmt(medians.v2, 3), 'ratio to open': (medians.v2 / medians.open).toFixed(2), target: '≤ 1.30', met: medians.v2 / medians.open <= 1.3 ? 'yes' : 'NO' },
])
await stop()
process.exit(0)
