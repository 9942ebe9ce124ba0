// Messages per second through client → server → client (echo: the server's demo handler answers
// `echo` with `echo.reply`), at 64 B … 1 MiB, pipelined: protocol v2, protocol v1 and a plain `ws`
// echo of the same JSON, in one run. The encrypted server and the plain echo server each run in
// their own process; the clients run here. The three alternate, one run each in turn.
import WebSocket from 'ws'
import { connectClient, fmt, median } from './lib.mjs'
import { startPlainEchoProcess, startServerProcess } from './serverProcess.mjs'
import { encryptedRate, plainRate, selectedSizes } from './throughputCases.mjs'

const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const SCALE = Number(process.env.BENCH_SCALE ?? 1)
const maxPayload = 4 * 1024 * 1024
const server = await startServerProcess({ demo: true, maxPayload })
const plainServer = await startPlainEchoProcess({ maxPayload })
const clients = { v2: await connectClient(server.url, 'throughput-v2', { protocol: 'v2' }), v1: await connectClient(server.url, 'throughput-v1', { protocol: 'v1' }) }
const plain = new WebSocket(plainServer.url)
await new Promise((resolve) => plain.once('open', resolve))

const rows = []
for (const [label, size, baseCount] of selectedSizes()) {
  const count = Math.max(1, Math.round(baseCount * SCALE))
  const rates = { v2: [], v1: [], plain: [] }
  await encryptedRate(clients.v2, size, Math.ceil(count / 4)) // warm up
  await encryptedRate(clients.v1, size, Math.ceil(count / 4))
  await plainRate(plain, size, Math.ceil(count / 4))
  for (let run = 0; run < RUNS; run++) {
    rates.v2.push(await encryptedRate(clients.v2, size, count))
    rates.v1.push(await encryptedRate(clients.v1, size, count))
    rates.plain.push(await plainRate(plain, size, count))
  }
  const [v2, v1, base] = [median(rates.v2), median(rates.v1), median(rates.plain)]
  rows.push({ size: label, 'v2 msg/s': fmt(v2), 'v1 msg/s': fmt(v1), 'plain ws msg/s': fmt(base), 'v2 ÷ ws': (v2 / base).toFixed(2), 'v1 ÷ ws': (v1 / base).toFixed(2), 'v2 ÷ v1': (v2 / v1).toFixed(2) })
}
console.log(`Echo round trips client → server → client, pipelined (Node ${process.version}, medians of ${RUNS} runs; JSON payloads)`)
console.table(rows)
clients.v2.destroy()
clients.v1.destroy()
plain.terminate()
await Promise.all([server.stop(), plainServer.stop()])
process.exit(0)
