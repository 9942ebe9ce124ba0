// connect() → authenticated over protocol v1 and v2, against a bare `ws` open and an open + one
// JSON round trip, in Node (`ws` as the client's WebSocket), all on 127.0.0.1, each server in its
// own process. The cases alternate, one iteration each; BENCH_RUNS runs of BENCH_ITERATIONS, ratios
// to the bare open within each run. BENCH_BUILDS (builds.mjs) names the builds, each with its own
// server (default this working tree); the bare cases go to the last build's server. E.g.
//   BENCH_BUILDS=seed=d936a87,current=281602e node handshake.mjs   (the seed has v1 only)
import WebSocket from 'ws'
import { buildClientFactory, selectedBuilds, startBuildServer } from './builds.mjs'
import { acrossRuns, authenticateFrame, fmt, median, withRange } from './lib.mjs'

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 300)
const RUNS = Number(process.env.BENCH_RUNS ?? 1)
const builds = await selectedBuilds()
const servers = Object.fromEntries(await Promise.all(builds.map(async (build) => [build.name, await startBuildServer(build.server)])))
const bareUrl = servers[builds.at(-1).name].url
const roundTripFrame = await authenticateFrame()

const open = () =>
  new Promise((resolve) => {
    const socket = new WebSocket(bareUrl)
    socket.once('open', () => {
      socket.terminate()
      resolve()
    })
  })

const openAndRoundTrip = () =>
  new Promise((resolve) => {
    const socket = new WebSocket(bareUrl)
    socket.once('open', () => socket.send(roundTripFrame))
    socket.once('message', () => {
      socket.terminate()
      resolve()
    })
  })

const encrypted = async (build, protocol) => {
  const makeClient = await buildClientFactory(build.core, servers[build.name].url, 'bench', { protocol })
  return async () => {
    const client = makeClient()
    await client.connect()
    client.destroy()
  }
}

const cases = [
  ['bare ws open', open],
  ['open + one JSON round trip', openAndRoundTrip],
]
for (const build of builds) for (const protocol of build.protocols) cases.push([`connect(), ${protocol}, ${build.name}`, await encrypted(build, protocol)])
for (const [, run] of cases) for (let i = 0; i < 20; i++) await run() // warm up
const runs = []
for (let r = 0; r < RUNS; r++) {
  const times = Object.fromEntries(cases.map(([name]) => [name, []]))
  for (let i = 0; i < ITERATIONS; i++) {
    for (const [name, run] of cases) {
      const start = performance.now()
      await run()
      times[name].push(performance.now() - start)
    }
  }
  runs.push(Object.fromEntries(Object.entries(times).map(([name, values]) => [name, median(values)])))
}
const figures = acrossRuns(runs, 'bare ws open')
// With more than one build, every connect() against the first build's v1 too (e.g. ÷ the seed).
const first = `connect(), v1, ${builds[0].name}`
const againstFirst = builds.length > 1 ? acrossRuns(runs, first) : {}
console.log(`Handshake in Node ${process.version} (${builds.described}; bare cases to ${builds.at(-1).name}'s server): ${RUNS} runs × ${ITERATIONS} iterations, medians`)
const row = ([what, f]) => ({ what, 'median ms': fmt(f.value, 3), 'ratio to open': withRange(f.ratio, f.ratios) })
const vsFirst = (what) => (what.startsWith('connect()') && againstFirst[what] ? { [`÷ ${first}`]: withRange(againstFirst[what].ratio, againstFirst[what].ratios) } : {})
console.table(Object.entries(figures).map((entry) => ({ ...row(entry), ...vsFirst(entry[0]) })))
await Promise.all(Object.values(servers).map((server) => server.stop()))
builds.remove()
process.exit(0)
