// The handshake where the client really runs: in Chromium. connect() → authenticated over
// protocol v1 and over protocol v2, against a bare WebSocket open and an open + one JSON round
// trip, the page talking to our server (its own process) on 127.0.0.1. Alternates the four, one
// iteration each; medians and ratios. The client is constructed before the timer starts (as an
// app constructs it at render and connects in an effect): what is timed is connect().
// BENCH_BEFORE_CORE=<path to another build's core dist/index.js> adds that build's v1 and v2 to
// the same alternation (e.g. the commit before a change, built in a git worktree).
import { openBrowserPage } from './browser.mjs'
import { authenticateFrame, ECDH_INFO, fmt, token } from './lib.mjs'
import { startServerProcess } from './serverProcess.mjs'

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 300)
/** ms between two connections (BENCH_PAUSE_MS=0 shows Chromium's per-endpoint delay). */
const PAUSE = Number(process.env.BENCH_PAUSE_MS ?? 15)

const BEFORE = process.env.BENCH_BEFORE_CORE
const server = await startServerProcess()
const { page, version, stop: closeBrowser } = await openBrowserPage({ files: BEFORE ? { '/core-before.js': BEFORE } : {} })
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
  async ({ url, ecdhInfo, jwt, iterations, roundTripFrame, pause, before }) => {
    const { EncryptedWebSocketClient } = await import('/core.js')
    const Before = before ? (await import('/core-before.js')).EncryptedWebSocketClient : null
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
    // A case may construct what it needs before the timer starts (`prepare`), then `run` is timed.
    const encrypted = (Client, protocol) => ({
      prepare: async () => {
        const client = new Client({ url, ecdhInfo, token: jwt, logger: quiet, WebSocket: TrackedWebSocket, protocol })
        await sleep(pause) // an app's render → effect, and Chromium's per-endpoint delay
        return client
      },
      run: async (client) => {
        await client.connect()
        const done = performance.now()
        const socketClosed = closed(lastSocket)
        client.destroy()
        await socketClosed
        return done
      },
    })
    const bare = (run) => ({ prepare: async () => undefined, run })
    const cases = {
      open: bare(open),
      roundTrip: bare(openAndRoundTrip),
      v1: encrypted(EncryptedWebSocketClient, 'v1'),
      v2: encrypted(EncryptedWebSocketClient, 'v2'),
      ...(Before ? { v1Before: encrypted(Before, 'v1'), v2Before: encrypted(Before, 'v2') } : {}),
    }
    const times = Object.fromEntries(Object.keys(cases).map((name) => [name, []]))
    const once = async ({ prepare, run }) => {
      const prepared = await prepare()
      const start = performance.now()
      return (await run(prepared)) - start
    }
    for (const entry of Object.values(cases)) for (let i = 0; i < 20; i++) await once(entry) // warm up
    for (let i = 0; i < iterations; i++) {
      for (const [name, entry] of Object.entries(cases)) times[name].push(await once(entry))
    }
    const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]
    return Object.fromEntries(Object.entries(times).map(([name, values]) => [name, median(values)]))
  },
  { url: server.url, ecdhInfo: ECDH_INFO, jwt: await token('bench'), iterations: ITERATIONS, roundTripFrame: await authenticateFrame(), pause: PAUSE, before: Boolean(BEFORE) },
)

console.log(`Handshake in Chromium ${version} against @encrypted-socket/server on 127.0.0.1 (medians of ${ITERATIONS}, ${PAUSE} ms between connections)`)
console.table([
  { what: 'bare WebSocket open', 'median ms': fmt(medians.open, 3), 'ratio to open': '1.00' },
  { what: 'open + one JSON round trip', 'median ms': fmt(medians.roundTrip, 3), 'ratio to open': (medians.roundTrip / medians.open).toFixed(2) },
  { what: 'connect() → authenticated, protocol v1', 'median ms': fmt(medians.v1, 3), 'ratio to open': (medians.v1 / medians.open).toFixed(2), target: '≤ 2.00' },
  { what: 'connect() → authenticated, protocol v2', 'median ms': fmt(medians.v2, 3), 'ratio to open': (medians.v2 / medians.open).toFixed(2), target: '≤ 1.30', met: medians.v2 / medians.open <= 1.3 ? 'yes' : 'NO' },
  ...(BEFORE
    ? [
        { what: 'connect(), protocol v1, the build before', 'median ms': fmt(medians.v1Before, 3), 'ratio to open': (medians.v1Before / medians.open).toFixed(2) },
        { what: 'connect(), protocol v2, the build before', 'median ms': fmt(medians.v2Before, 3), 'ratio to open': (medians.v2Before / medians.open).toFixed(2) },
      ]
    : []),
])
await stop()
process.exit(0)
