// Echo throughput where the client really runs: in Chromium. Messages per second through
// page → server → page (the server's demo handler answers `echo` with `echo.reply`), at 64 B …
// 1 MiB, pipelined: protocol v2, protocol v1 and a plain WebSocket to a plain `ws` echo server,
// in one run, alternating one run each. Both servers run in their own processes on 127.0.0.1.
import { openBrowserPage } from './browser.mjs'
import { ECDH_INFO, fmt, median, token } from './lib.mjs'
import { startPlainEchoProcess, startServerProcess } from './serverProcess.mjs'
import { selectedSizes } from './throughputCases.mjs'

const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const SCALE = Number(process.env.BENCH_SCALE ?? 1)
const maxPayload = 4 * 1024 * 1024
const server = await startServerProcess({ demo: true, maxPayload })
const plainServer = await startPlainEchoProcess({ maxPayload })
const { page, version, stop: closeBrowser } = await openBrowserPage({ modules: ['throughputCases.mjs'] })
const stop = async () => {
  await closeBrowser()
  await Promise.all([server.stop(), plainServer.stop()])
}
process.once('uncaughtException', async (error) => {
  console.error(error)
  await stop()
  process.exit(1)
})

const sizes = selectedSizes().map(([label, size, count]) => [label, size, Math.max(1, Math.round(count * SCALE))])
const rates = await page.evaluate(
  async ({ url, plainUrl, ecdhInfo, jwts, sizes, runs }) => {
    const { EncryptedWebSocketClient } = await import('/core.js')
    const { echoPayload } = await import('/throughputCases.mjs')
    const quiet = { info() {}, warn() {}, error() {}, debug() {} }
    const clients = {}
    for (const protocol of ['v2', 'v1']) {
      clients[protocol] = new EncryptedWebSocketClient({ url, ecdhInfo, token: jwts[protocol], logger: quiet, protocol })
      await clients[protocol].connect()
    }
    const plain = new WebSocket(plainUrl)
    await new Promise((resolve) => (plain.onopen = resolve))

    const encryptedRate = async (client, size, count) => {
      let received = 0
      let done
      const finished = new Promise((resolve) => (done = resolve))
      const stop = client.on('echo.reply', () => ++received === count && done())
      const data = echoPayload(size)
      const start = performance.now()
      for (let i = 0; i < count; i++) void client.send('echo', data)
      await finished
      stop()
      return (count * 1000) / (performance.now() - start)
    }
    const plainRate = async (size, count) => {
      let received = 0
      let done
      const finished = new Promise((resolve) => (done = resolve))
      plain.onmessage = () => ++received === count && done()
      const text = JSON.stringify({ event: 'echo', data: echoPayload(size) })
      const start = performance.now()
      for (let i = 0; i < count; i++) plain.send(text)
      await finished
      plain.onmessage = null
      return (count * 1000) / (performance.now() - start)
    }

    const results = []
    for (const [, size, count] of sizes) {
      const rates = { v2: [], v1: [], plain: [] }
      const warm = Math.ceil(count / 4)
      await encryptedRate(clients.v2, size, warm)
      await encryptedRate(clients.v1, size, warm)
      await plainRate(size, warm)
      for (let run = 0; run < runs; run++) {
        rates.v2.push(await encryptedRate(clients.v2, size, count))
        rates.v1.push(await encryptedRate(clients.v1, size, count))
        rates.plain.push(await plainRate(size, count))
      }
      results.push(rates)
    }
    clients.v2.destroy()
    clients.v1.destroy()
    plain.close()
    return results
  },
  { url: server.url, plainUrl: plainServer.url, ecdhInfo: ECDH_INFO, jwts: { v2: await token('throughput-v2'), v1: await token('throughput-v1') }, sizes, runs: RUNS },
)

const rows = sizes.map(([label], index) => {
  const [v2, v1, base] = ['v2', 'v1', 'plain'].map((name) => median(rates[index][name]))
  const row = { size: label, 'v2 msg/s': fmt(v2), 'v1 msg/s': fmt(v1), 'plain ws msg/s': fmt(base), 'v2 ÷ ws': (v2 / base).toFixed(2), 'v1 ÷ ws': (v1 / base).toFixed(2), 'v2 ÷ v1': (v2 / v1).toFixed(2) }
  if (label === '1 KiB') Object.assign(row, { target: 'v2 ≥ 0.50', met: v2 / base >= 0.5 ? 'yes' : 'NO' })
  return row
})
console.log(`Echo round trips page → server → page in Chromium ${version}, pipelined (medians of ${RUNS} runs; JSON payloads)`)
console.table(rows)
await stop()
process.exit(0)
