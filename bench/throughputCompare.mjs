// The echo of throughput.mjs through several builds in one run (issue 20): v2 and v1 of each build
// (v1 only for a build before v2) and the plain `ws` echo, one after the other in a rotating order,
// so that every ratio is taken within one run. BENCH_BUILDS (builds.mjs) names the builds, each
// checked out into a worktree and built there (or a built directory), each with its own server
// process; the clients run here. Without it: BENCH_BASELINE (or BENCH_BASELINE_DIR) as "before"
// and this working tree as "now".
//   BENCH_BUILDS=seed=d936a87,current=281602e node throughputCompare.mjs   (BENCH_RUNS 5, BENCH_SIZES '64 B,1 KiB,16 KiB')
// BENCH_ACKED=1 also waits for every send() to settle (v2: the server's ack), as delivery.mjs.
import WebSocket from 'ws'
import { connectBuildClient, selectedBuilds, startBuildServer } from './builds.mjs'
import { againstFirstBuild, median, withRange } from './lib.mjs'
import { startPlainEchoProcess } from './serverProcess.mjs'
import { encryptedRate, plainRate, selectedSizes } from './throughputCases.mjs'

const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const SCALE = Number(process.env.BENCH_SCALE ?? 1)
const ACKED = Boolean(process.env.BENCH_ACKED)

const builds = await selectedBuilds(`before=${process.env.BENCH_BASELINE_DIR ?? process.env.BENCH_BASELINE},now=.`)
const servers = []
const clients = {}
for (const build of builds) {
  const server = await startBuildServer(build.server)
  servers.push(server)
  for (const protocol of build.protocols) clients[`${protocol} ${build.name}`] = await connectBuildClient(build.core, server.url, `${build.name}-${protocol}`, { protocol })
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
  const row = { size: label, 'plain ws msg/s': Math.round(median(rates.plain)) }
  for (const name of Object.keys(clients)) {
    const ratios = rates[name].map((rate, run) => rate / rates.plain[run])
    row[`${name} msg/s`] = Math.round(median(rates[name]))
    row[`${name} ÷ ws`] = withRange(median(ratios), [Math.min(...ratios), Math.max(...ratios)], 3)
  }
  Object.assign(row, againstFirstBuild(builds, rates))
  rows.push(row)
}
console.log(`Echo in Node ${process.version}, pipelined${ACKED ? ', until every send settled' : ''} (${builds.described}): ÷ plain ws per run, ${RUNS} runs, medians`)
console.table(rows)
for (const client of Object.values(clients)) client.destroy()
plain.terminate()
await Promise.all([...servers.map((server) => server.stop()), plainServer.stop()])
builds.remove()
process.exit(0)
