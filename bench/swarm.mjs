// 500 clients at once: time until all are authenticated ÷ the same for 500 plain `ws` opens, and
// memory per connection in the clients' process (the server runs in its own process).
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { EncryptedWebSocketClient } from '@encrypted-socket/core'
import WebSocket from 'ws'
import { ECDH_INFO, fmt, median, token } from './lib.mjs'
import { startServerProcess } from './serverProcess.mjs'

setFlagsFromString('--expose_gc')
const gc = runInNewContext('gc')
const COUNT = Number(process.env.BENCH_CLIENTS ?? 500)
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const quiet = { info() {}, warn() {}, error() {}, debug() {} }
const server = await startServerProcess({ authTimeout: 60_000 })
const jwt = await token('swarm')
const memory = () => (gc(), process.memoryUsage().heapUsed + process.memoryUsage().external + process.memoryUsage().arrayBuffers)

async function plain() {
  const before = memory()
  const start = performance.now()
  const sockets = await Promise.all(
    Array.from({ length: COUNT }, () => new Promise((resolve) => {
      const socket = new WebSocket(server.url)
      socket.once('open', () => resolve(socket))
    })),
  )
  const ms = performance.now() - start
  const perConnection = (memory() - before) / COUNT
  sockets.forEach((socket) => socket.terminate())
  return { ms, perConnection }
}

async function encrypted() {
  const before = memory()
  const start = performance.now()
  const clients = Array.from({ length: COUNT }, () => new EncryptedWebSocketClient({ url: server.url, ecdhInfo: ECDH_INFO, token: jwt, WebSocket, logger: quiet }))
  await Promise.all(clients.map((client) => client.connect()))
  const ms = performance.now() - start
  const perConnection = (memory() - before) / COUNT
  clients.forEach((client) => client.destroy())
  return { ms, perConnection }
}

const results = { plain: [], encrypted: [] }
for (let run = 0; run < RUNS; run++) {
  results.plain.push(await plain())
  await new Promise((resolve) => setTimeout(resolve, 300))
  results.encrypted.push(await encrypted())
  await new Promise((resolve) => setTimeout(resolve, 300))
}
const ratio = median(results.encrypted.map((e, i) => e.ms / results.plain[i].ms))
console.log(`${COUNT} clients connecting at once (Node ${process.version}, server in its own process, medians of ${RUNS} runs)`)
console.table([
  { what: 'plain ws opens', 'time (ms)': fmt(median(results.plain.map((r) => r.ms))), 'memory per connection (KiB)': fmt(median(results.plain.map((r) => r.perConnection)) / 1024) },
  { what: 'encrypted clients authenticated', 'time (ms)': fmt(median(results.encrypted.map((r) => r.ms))), 'memory per connection (KiB)': fmt(median(results.encrypted.map((r) => r.perConnection)) / 1024) },
])
console.log(`time ratio ${ratio.toFixed(2)}× (target ≤ 2.0×); memory target ≤ 50 KiB per connection`)
await server.stop()
process.exit(0)
