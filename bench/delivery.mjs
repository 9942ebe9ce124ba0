// What acknowledged delivery costs (issue 17): v2 echo throughput of this build (every send
// numbered, kept until acknowledged, the server's session stream numbered and kept until the
// client acknowledges it) against the build before it (commit BASELINE: v2 without acks, resume
// or requests), in one run. The baseline is checked out into a temporary git worktree and built
// there; each build's server runs in its own process, its client here; the two alternate.
import { buildBaseline, builtModules, connectBuildClient, root, startBuildServer } from './builds.mjs'
import { encryptedRate } from './throughputCases.mjs'

const BASELINE = process.env.BENCH_BASELINE ?? '2c59e6c' // the last commit before v2 delivery
const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const SIZES = [
  ['64 B', 64, 4000],
  ['1 KiB', 1024, 4000],
  ['16 KiB', 16 * 1024, 1000],
]

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

async function main() {
  const baseline = buildBaseline(BASELINE)
  try {
    const builds = { now: builtModules(root), before: builtModules(baseline.dir) }
    const servers = {
      now: await startBuildServer(builds.now.server),
      before: await startBuildServer(builds.before.server),
    }
    const v2 = { protocol: 'v2', outbox: { maxSize: 1e6, maxAge: Infinity } }
    const clients = {
      now: await connectBuildClient(builds.now.core, servers.now.url, 'now', v2),
      before: await connectBuildClient(builds.before.core, servers.before.url, 'before', v2),
    }
    const rows = []
    for (const [label, size, count] of SIZES) {
      const rates = { now: [], before: [] }
      for (const name of ['now', 'before']) {
        if (process.env.BENCH_DEBUG) console.log('warm', name, label)
        await encryptedRate(clients[name], size, Math.ceil(count / 4), { acked: true }) // warm up
      }
      for (let run = 0; run < RUNS; run++) {
        for (const name of run % 2 ? ['before', 'now'] : ['now', 'before'])
          rates[name].push(await encryptedRate(clients[name], size, count, { acked: true }))
      }
      const [now, before] = [median(rates.now), median(rates.before)]
      rows.push({
        size: label,
        'with acks msg/s': Math.round(now),
        [`before (${BASELINE}) msg/s`]: Math.round(before),
        'with ÷ before': (now / before).toFixed(2),
        cost: `${((1 - now / before) * 100).toFixed(1)} %`,
      })
    }
    console.log(
      `v2 echo, pipelined, acknowledged delivery vs the build before it (Node ${process.version}, medians of ${RUNS} runs; target: cost ≤ 10 %)`,
    )
    console.table(rows)
    for (const client of Object.values(clients)) client.destroy()
    await Promise.all(Object.values(servers).map((server) => server.stop()))
  } finally {
    baseline.remove()
  }
}

await main()
process.exit(0)
