// The handshake where the client really runs: in Chromium. connect() → authenticated over
// protocol v1 and v2, against a bare WebSocket open and an open + one JSON round trip, the page
// talking to servers in their own processes on 127.0.0.1. The cases alternate, one iteration each;
// BENCH_RUNS runs of BENCH_ITERATIONS, ratios to the bare open within each run. The client is
// constructed before the timer starts (as an app constructs it at render and connects in an
// effect): what is timed is connect(). BENCH_BUILDS (builds.mjs) names the builds, each with its
// own server and its core in the page (default this working tree); the bare cases go to the last
// build's server. E.g.
//   BENCH_BUILDS=seed=d936a87,current=281602e node handshake-browser.mjs   (the seed has v1 only)
import { buildToken, selectedBuilds, startBuildServer } from './builds.mjs'
import { BUILD_ECDH_INFO } from './buildServer.mjs'
import { openBrowserPage } from './browser.mjs'
import { acrossRuns, authenticateFrame, fmt, withRange } from './lib.mjs'

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 300)
const RUNS = Number(process.env.BENCH_RUNS ?? 1)
/** ms between two connections (BENCH_PAUSE_MS=0 shows Chromium's per-endpoint delay). */
const PAUSE = Number(process.env.BENCH_PAUSE_MS ?? 15)

const builds = await selectedBuilds()
const servers = Object.fromEntries(await Promise.all(builds.map(async (build) => [build.name, await startBuildServer(build.server)])))
const cores = Object.fromEntries(builds.map((build) => [build.name, build.core]))
const { page, version, coreModules, stop: closeBrowser } = await openBrowserPage({ cores })
const stop = async () => {
  await closeBrowser()
  await Promise.all(Object.values(servers).map((server) => server.stop()))
  builds.remove()
}
process.once('uncaughtException', async (error) => {
  console.error(error)
  await stop()
  process.exit(1)
})

const inPage = async ({ bareUrl, builds, ecdhInfo, jwt, iterations, roundTripFrame, pause }) => {
  const quiet = { info() {}, warn() {}, error() {}, debug() {} }
  // Each case resolves with the time it reached its goal, then waits until its socket is closed
  // (Chromium holds new connections to a host while earlier ones are still closing) and then
  // `pause` ms more: Chromium also holds a new connection to an endpoint until 10 ms after the
  // previous one to it was established, which added 5–9 ms to every case when they followed each
  // other at once (in one measurement a bare open took 11 ms back to back, 2.6 ms with ≥ 8 ms
  // between).
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
  const closed = (socket) => new Promise((resolve) => socket.addEventListener('close', resolve)).then(() => sleep(pause))
  const open = async () => {
    const socket = new WebSocket(bareUrl)
    await new Promise((resolve) => (socket.onopen = resolve))
    const done = performance.now()
    socket.close()
    await closed(socket)
    return done
  }
  const openAndRoundTrip = async () => {
    const socket = new WebSocket(bareUrl)
    await new Promise((resolve) => (socket.onopen = resolve))
    socket.send(roundTripFrame)
    await new Promise((resolve) => (socket.onmessage = resolve))
    const done = performance.now()
    socket.close()
    await closed(socket)
    return done
  }
  let lastSocket
  class TrackedWebSocket extends WebSocket {
    constructor(...args) {
      super(...args)
      lastSocket = this
    }
  }
  // A case may construct what it needs before the timer starts (`prepare`), then `run` is timed.
  const encrypted = (Client, url, protocol) => ({
    prepare: async () => {
      const client = new Client({ url, ecdhInfo, token: jwt, logger: quiet, WebSocket: TrackedWebSocket, protocol })
      await sleep(pause) // an app's render → effect, and Chromium's per-endpoint delay
      return client
    },
    run: async (client) => {
      await client.connect()
      const done = performance.now()
      const socketClosed = closed(lastSocket)
      client.destroy()
      await socketClosed
      return done
    },
  })
  const bare = (run) => ({ prepare: async () => undefined, run })
  const cases = { 'bare WebSocket open': bare(open), 'open + one JSON round trip': bare(openAndRoundTrip) }
  for (const { name, module, url, protocols } of builds) {
    const { EncryptedWebSocketClient } = await import(module)
    for (const protocol of protocols) cases[`connect(), ${protocol}, ${name}`] = encrypted(EncryptedWebSocketClient, url, protocol)
  }
  const times = Object.fromEntries(Object.keys(cases).map((name) => [name, []]))
  const once = async ({ prepare, run }) => {
    const prepared = await prepare()
    const start = performance.now()
    return (await run(prepared)) - start
  }
  for (const entry of Object.values(cases)) for (let i = 0; i < 20; i++) await once(entry) // warm up
  for (let i = 0; i < iterations; i++) {
    for (const [name, entry] of Object.entries(cases)) times[name].push(await once(entry))
  }
  const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]
  return Object.fromEntries(Object.entries(times).map(([name, values]) => [name, median(values)]))
}

const args = {
  bareUrl: servers[builds.at(-1).name].url,
  builds: builds.map(({ name, protocols }) => ({ name, protocols, module: coreModules[name], url: servers[name].url })),
  ecdhInfo: BUILD_ECDH_INFO,
  jwt: await buildToken('bench'),
  iterations: ITERATIONS,
  roundTripFrame: await authenticateFrame(),
  pause: PAUSE,
}
const runs = []
for (let r = 0; r < RUNS; r++) runs.push(await page.evaluate(inPage, args))
const figures = acrossRuns(runs, 'bare WebSocket open')
// With more than one build, every connect() against the first build's v1 too (e.g. ÷ the seed).
const first = `connect(), v1, ${builds[0].name}`
const againstFirst = builds.length > 1 ? acrossRuns(runs, first) : {}
console.log(
  `Handshake in Chromium ${version} (${builds.described}; bare cases to ${builds.at(-1).name}'s server): ${RUNS} runs × ${ITERATIONS} iterations, medians, ${PAUSE} ms between connections`,
)
const row = ([what, f]) => ({ what, 'median ms': fmt(f.value, 3), 'ratio to open': withRange(f.ratio, f.ratios) })
const vsFirst = (what) => (what.startsWith('connect()') && againstFirst[what] ? { [`÷ ${first}`]: withRange(againstFirst[what].ratio, againstFirst[what].ratios) } : {})
console.table(Object.entries(figures).map((entry) => ({ ...row(entry), ...vsFirst(entry[0]) })))
await stop()
process.exit(0)
