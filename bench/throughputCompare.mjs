// The echo of throughput.mjs through this build and through an earlier one (issue 20), in one run:
// v2 and v1 of each build and the plain `ws` echo, one after the other in a rotating order, so
// that every ratio is taken within one run. The earlier build (commit BENCH_BASELINE) is checked
// out into a temporary git worktree and built there, as delivery.mjs does; BENCH_BASELINE_DIR
// reuses a worktree built already (kept afterwards). Each build's server runs in its own process.
//   BENCH_BASELINE=<commit> node throughputCompare.mjs      (BENCH_RUNS 5, BENCH_SIZES '64 B,1 KiB,16 KiB')
// BENCH_ACKED=1 also waits for every send() to settle (v2: the server's ack), as delivery.mjs.
import WebSocket from 'ws'
import { buildBaseline, builtModules, connectBuildClient, root, startBuildServer } from './builds.mjs'
import { startPlainEchoProcess } from './serverProcess.mjs'
import { encryptedRate, plainRate, selectedSizes } from './throughputCases.mjs'

const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const SCALE = Number(process.env.BENCH_SCALE ?? 1)
const ACKED = Boolean(process.env.BENCH_ACKED)

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

async function main() {
  const baseline = buildBaseline(process.env.BENCH_BASELINE)
  try {
    const builds = { now: root, before: baseline.dir }
    const servers = {}
    const clients = {}
    for (const [name, dir] of Object.entries(builds)) {
      const modules = builtModules(dir)
      servers[name] = await startBuildServer(modules.server)
      for (const protocol of ['v2', 'v1']) {
        clients[`${protocol} ${name}`] = await connectBuildClient(modules.core, servers[name].url, `${name}-${protocol}`, { protocol })
      }
    }
    const plainServer = await startPlainEchoProcess({ maxPayload: 4 * 1024 * 1024 })
    const plain = new WebSocket(plainServer.url)
    await new Promise((resolve) => plain.once('open', resolve))
    const cases = [...Object.keys(clients), 'plain']
    const rateOf = (name, size, count) => (name === 'plain' ? plainRate(plain, size, count) : encryptedRate(clients[name], size, count, { acked: ACKED }))
    const rows = []
    for (const [label, size, baseCount] of selectedSizes(['64 B', '1 KiB', '16 KiB'])) {
      const count = Math.max(1, Math.round(baseCount * SCALE))
      for (const name of cases) await rateOf(name, size, Math.ceil(count / 4)) // warm up
      const rates = Object.fromEntries(cases.map((name) => [name, []]))
      for (let run = 0; run < RUNS; run++) {
        // Each run starts one case later, so that no case always follows the same one.
        for (let i = 0; i < cases.length; i++) {
          const name = cases[(run + i) % cases.length]
          rates[name].push(await rateOf(name, size, count))
        }
      }
      const ratio = (name) => median(rates[name].map((rate, run) => rate / rates.plain[run]))
      const row = { size: label, 'plain ws msg/s': Math.round(median(rates.plain)) }
      for (const name of Object.keys(clients)) {
        row[`${name} msg/s`] = Math.round(median(rates[name]))
        row[`${name} ÷ ws`] = ratio(name).toFixed(3)
      }
      rows.push(row)
    }
    const before = process.env.BENCH_BASELINE ?? process.env.BENCH_BASELINE_DIR
    console.log(`Echo, pipelined${ACKED ? ', until every send settled' : ''}: this build (now) and ${before} (before), v2 and v1, ÷ plain ws per run (Node ${process.version}, medians of ${RUNS} runs)`)
    console.table(rows)
    for (const client of Object.values(clients)) client.destroy()
    plain.terminate()
    await Promise.all([...Object.values(servers).map((server) => server.stop()), plainServer.stop()])
  } finally {
    baseline.remove()
  }
}

await main()
process.exit(0)
