// connect() → authenticated over protocol v1 and over protocol v2, against a bare `ws` open and an
// open + one JSON round trip, all against our server on 127.0.0.1, running in its own process.
// Alternates the four, one iteration each; medians and ratios.
import { EncryptedWebSocketClient } from '@encrypted-socket/core'
import WebSocket from 'ws'
import { authenticateFrame, ECDH_INFO, fmt, median, token } from './lib.mjs'
import { startServerProcess } from './serverProcess.mjs'

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 300)
const quiet = { info() {}, warn() {}, error() {}, debug() {} }
const server = await startServerProcess()
const jwt = await token('bench')
const roundTripFrame = await authenticateFrame()

const open = () =>
  new Promise((resolve) => {
    const socket = new WebSocket(server.url)
    socket.once('open', () => {
      socket.terminate()
      resolve()
    })
  })

const openAndRoundTrip = () =>
  new Promise((resolve) => {
    const socket = new WebSocket(server.url)
    socket.once('open', () => socket.send(roundTripFrame))
    socket.once('message', () => {
      socket.terminate()
      resolve()
    })
  })

const encrypted = (protocol) => async () => {
  const client = new EncryptedWebSocketClient({ url: server.url, ecdhInfo: ECDH_INFO, token: jwt, WebSocket, logger: quiet, protocol })
  await client.connect()
  client.destroy()
}

const times = { open: [], roundTrip: [], v1: [], v2: [] }
const cases = [
  ['open', open],
  ['roundTrip', openAndRoundTrip],
  ['v1', encrypted('v1')],
  ['v2', encrypted('v2')],
]
for (const [, run] of cases) for (let i = 0; i < 20; i++) await run() // warm up
for (let i = 0; i < ITERATIONS; i++) {
  for (const [name, run] of cases) {
    const start = performance.now()
    await run()
    times[name].push(performance.now() - start)
  }
}
const m = Object.fromEntries(Object.entries(times).map(([name, values]) => [name, median(values)]))
console.log(`Handshake against @encrypted-socket/server on 127.0.0.1 (Node ${process.version}, medians of ${ITERATIONS})`)
console.table([
  { what: 'bare ws open', 'median ms': fmt(m.open, 3), 'ratio to open': '1.00' },
  { what: 'open + one JSON round trip', 'median ms': fmt(m.roundTrip, 3), 'ratio to open': (m.roundTrip / m.open).toFixed(2) },
  { what: 'connect() → authenticated, protocol v1', 'median ms': fmt(m.v1, 3), 'ratio to open': (m.v1 / m.open).toFixed(2), target: '≤ 2.00' },
  { what: 'connect() → authenticated, protocol v2', 'median ms': fmt(m.v2, 3), 'ratio to open': (m.v2 / m.open).toFixed(2) },
])
await server.stop()
process.exit(0)
