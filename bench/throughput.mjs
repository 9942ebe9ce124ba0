// Messages per second through client → server → client (echo), at 64 B … 1 MiB, against a plain
// `ws` echo of the same JSON. The server runs in its own process.
import { WebSocketServer } from 'ws'
import WebSocket from 'ws'
import { connectClient, fmt, median } from './lib.mjs'
import { startServerProcess } from './serverProcess.mjs'

const SIZES = [
  ['64 B', 64, 2000],
  ['1 KiB', 1024, 2000],
  ['16 KiB', 16 * 1024, 500],
  ['256 KiB', 256 * 1024, 60],
  ['1 MiB', 1024 * 1024, 20],
]
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const server = await startServerProcess({ demo: true, maxPayload: 4 * 1024 * 1024 })
const client = await connectClient(server.url, 'throughput')

const plainServer = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 4 * 1024 * 1024 })
plainServer.on('connection', (socket) => socket.on('message', (data) => socket.send(data.toString())))
await new Promise((resolve) => plainServer.once('listening', resolve))
const plain = new WebSocket(`ws://127.0.0.1:${plainServer.address().port}`)
await new Promise((resolve) => plain.once('open', resolve))

const payload = (size) => ({ text: 'x'.repeat(Math.max(0, size - 30)) })

async function encryptedRate(size, count) {
  let received = 0
  let done
  const finished = new Promise((resolve) => (done = resolve))
  const stop = client.on('echo.reply', () => ++received === count && done())
  const data = payload(size)
  const start = performance.now()
  for (let i = 0; i < count; i++) void client.send('echo', data)
  await finished
  stop()
  return (count * 1000) / (performance.now() - start)
}

async function plainRate(size, count) {
  let received = 0
  let done
  const finished = new Promise((resolve) => (done = resolve))
  const onMessage = () => ++received === count && done()
  plain.on('message', onMessage)
  const text = JSON.stringify({ event: 'echo', data: payload(size) })
  const start = performance.now()
  for (let i = 0; i < count; i++) plain.send(text)
  await finished
  plain.off('message', onMessage)
  return (count * 1000) / (performance.now() - start)
}

const rows = []
for (const [label, size, count] of SIZES) {
  const ours = []
  const base = []
  for (let run = 0; run < RUNS; run++) {
    ours.push(await encryptedRate(size, count))
    base.push(await plainRate(size, count))
  }
  rows.push({ size: label, 'encrypted msg/s': fmt(median(ours)), 'plain ws msg/s': fmt(median(base)), ratio: (median(ours) / median(base)).toFixed(2) })
}
console.log(`Round trips client → server → client, pipelined (Node ${process.version}, medians of ${RUNS} runs)`)
console.table(rows)
client.destroy()
plain.terminate()
plainServer.close()
await server.stop()
process.exit(0)
