// The server under abuse: bad tokens, oversized frames, silent sockets and a flood, while a good
// client keeps chatting. Prints the good client's echo latency and the server's memory.
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import WebSocket from 'ws'
import { connectClient, fmt, median, quantile, startServer, token, until } from './lib.mjs'

setFlagsFromString('--expose_gc')
const gc = runInNewContext('gc')
const BAD_TOKENS = Number(process.env.ABUSE_BAD_TOKENS ?? 10_000)
const CONCURRENCY = 100
const heapMiB = () => (gc(), process.memoryUsage().heapUsed / 2 ** 20)

const server = await startServer({ demo: true, authTimeout: 1000, maxPayload: 256 * 1024, rateLimit: { perSecond: 100, burst: 200 } })
const good = await connectClient(server.url, 'good')
const latencies = { calm: [], abuse: [] }
let phase = 'calm'
let stopPinging = false
// The good client stays under the server's rate limit (100 messages/s): one echo every 12 ms at most.
// An echo that does not come back within 2 s is counted as lost instead of stalling the run.
let lost = 0
async function pingLoop() {
  let n = 0
  while (!stopPinging) {
    const id = n++
    const started = performance.now()
    let stop = () => {}
    const replied = await new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), 2000)
      stop = good.on('echo.reply', (data) => {
        if (data === id) {
          clearTimeout(timer)
          resolve(true)
        }
      })
      good.send('echo', id).catch(() => resolve(false))
    })
    stop()
    if (replied) latencies[phase].push(performance.now() - started)
    else lost++
    await new Promise((resolve) => setTimeout(resolve, 12))
  }
}
const pinging = pingLoop()
await new Promise((resolve) => setTimeout(resolve, 1000))
const heapBefore = heapMiB()
phase = 'abuse'
const started = performance.now()

async function badToken() {
  const socket = new WebSocket(server.url)
  socket.on('error', () => undefined)
  await new Promise((resolve) => socket.once('open', resolve))
  const { createEphemeralKeys, encodeFrame } = await import('@encrypted-socket/core')
  const keys = await createEphemeralKeys()
  socket.send(encodeFrame({ type: 'authenticate', token: 'bad.token.value', clientPublicKey: keys.publicKey }))
  const code = await new Promise((resolve) => socket.once('close', resolve))
  if (code !== 1008) throw new Error(`bad token closed with ${code}`)
}
let remaining = BAD_TOKENS
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (remaining-- > 0) await badToken()
  }),
)
const badSeconds = (performance.now() - started) / 1000

// Oversized frames, silent sockets and a flood from one authenticated connection.
const oversized = await Promise.all(
  Array.from({ length: 20 }, async () => {
    const socket = new WebSocket(server.url)
    socket.on('error', () => undefined)
    await new Promise((resolve) => socket.once('open', resolve))
    socket.send('x'.repeat(512 * 1024))
    return new Promise((resolve) => socket.once('close', resolve))
  }),
)
const silent = await Promise.all(
  Array.from({ length: 300 }, async () => {
    const socket = new WebSocket(server.url)
    socket.on('error', () => undefined)
    await new Promise((resolve) => socket.once('open', resolve))
    return new Promise((resolve) => socket.once('close', resolve))
  }),
)
const flooder = await connectClient(server.url, 'flooder')
for (let i = 0; i < 5000; i++) flooder.send('echo', i).catch(() => undefined)
await until(() => server.drops.rateLimited > 4000, 30_000)
flooder.destroy()
phase = 'calm'
await new Promise((resolve) => setTimeout(resolve, 500))
stopPinging = true
await pinging
const heapAfter = heapMiB()

console.log(`Server under abuse (Node ${process.version}, one process, 2 cores)`)
console.table([
  { what: `${BAD_TOKENS} bad-token attempts (${CONCURRENCY} at a time)`, result: `${fmt(BAD_TOKENS / badSeconds)} refusals/s, all closed 1008` },
  { what: '20 frames of 512 KiB (maxPayload 256 KiB)', result: `closed with ${[...new Set(oversized)].join(', ')}` },
  { what: '300 silent sockets (authTimeout 1 s)', result: `closed with ${[...new Set(silent)].join(', ')}` },
  { what: 'a flood of 5,000 messages from one connection', result: `${server.drops.rateLimited} dropped by the rate limit` },
  { what: 'good client echo, calm (median / p99)', result: `${fmt(median(latencies.calm), 2)} / ${fmt(quantile(latencies.calm, 0.99), 2)} ms` },
  { what: 'good client echo, under abuse (median / p99)', result: `${fmt(median(latencies.abuse), 2)} / ${fmt(quantile(latencies.abuse, 0.99), 2)} ms (${latencies.abuse.length} round trips, ${lost} lost)` },
  { what: 'server heap before → after', result: `${heapBefore.toFixed(1)} → ${heapAfter.toFixed(1)} MiB` },
  { what: 'connections left', result: String(server.connections().length) },
])
good.destroy()
await server.close({ timeout: 500 })
process.exit(0)
