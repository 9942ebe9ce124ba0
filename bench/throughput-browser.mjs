// Echo throughput where the client really runs: in Chromium. Messages per second through
// page → server → page (the server's demo handler answers `echo` with `echo.reply`), pipelined:
// v2 and v1 of each build (v1 only for a build before v2) and a plain WebSocket to a plain `ws`
// echo server, in one run, one after the other in a rotating order; ratios to plain `ws` per run.
// Every server runs in its own process on 127.0.0.1. BENCH_BUILDS (builds.mjs) names the builds,
// each with its own server and its core in the page (default this working tree), e.g.
//   BENCH_BUILDS=seed=d936a87,current=281602e BENCH_SIZES='64 B,1 KiB,16 KiB' node throughput-browser.mjs
import { buildToken, selectedBuilds, startBuildServer } from './builds.mjs'
import { BUILD_ECDH_INFO } from './buildServer.mjs'
import { openBrowserPage } from './browser.mjs'
import { againstFirstBuild, fmt, median, withRange } from './lib.mjs'
import { startPlainEchoProcess } from './serverProcess.mjs'
import { selectedSizes } from './throughputCases.mjs'

const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const SCALE = Number(process.env.BENCH_SCALE ?? 1)
const builds = await selectedBuilds()
const servers = Object.fromEntries(await Promise.all(builds.map(async (build) => [build.name, await startBuildServer(build.server)])))
const plainServer = await startPlainEchoProcess({ maxPayload: 4 * 1024 * 1024 })
const cores = Object.fromEntries(builds.map((build) => [build.name, build.core]))
const { page, version, coreModules, stop: closeBrowser } = await openBrowserPage({ modules: ['throughputCases.mjs'], cores })
const stop = async () => {
  await closeBrowser()
  await Promise.all([...Object.values(servers).map((server) => server.stop()), plainServer.stop()])
  builds.remove()
}
process.once('uncaughtException', async (error) => {
  console.error(error)
  await stop()
  process.exit(1)
})

const inPage = async ({ plainUrl, builds, ecdhInfo, jwt, sizes, runs }) => {
  const { echoPayload } = await import('/throughputCases.mjs')
  const quiet = { info() {}, warn() {}, error() {}, debug() {} }
  const clients = {}
  for (const { name, module, url, protocols } of builds) {
    const { EncryptedWebSocketClient } = await import(module)
    for (const protocol of protocols) {
      clients[`${protocol} ${name}`] = new EncryptedWebSocketClient({ url, ecdhInfo, token: jwt, logger: quiet, protocol, maxTrackedIvs: 1e9 })
      await clients[`${protocol} ${name}`].connect()
    }
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
  const cases = [...Object.keys(clients), 'plain']
  const rateOf = (name, size, count) => (name === 'plain' ? plainRate(size, count) : encryptedRate(clients[name], size, count))

  const results = []
  for (const [, size, count] of sizes) {
    for (const name of cases) await rateOf(name, size, Math.ceil(count / 4)) // warm up
    const rates = Object.fromEntries(cases.map((name) => [name, []]))
    for (let run = 0; run < runs; run++) {
      // Each run starts one case later, so that no case always follows the same one.
      for (let i = 0; i < cases.length; i++) {
        const name = cases[(run + i) % cases.length]
        rates[name].push(await rateOf(name, size, count))
      }
    }
    results.push(rates)
  }
  for (const client of Object.values(clients)) client.destroy()
  plain.close()
  return results
}

const sizes = selectedSizes().map(([label, size, count]) => [label, size, Math.max(1, Math.round(count * SCALE))])
const results = await page.evaluate(inPage, {
  plainUrl: plainServer.url,
  builds: builds.map(({ name, protocols }) => ({ name, protocols, module: coreModules[name], url: servers[name].url })),
  ecdhInfo: BUILD_ECDH_INFO,
  jwt: await buildToken('throughput'),
  sizes,
  runs: RUNS,
})

const rows = sizes.map(([label], index) => {
  const rates = results[index]
  const row = { size: label, 'plain ws msg/s': fmt(median(rates.plain)) }
  for (const name of Object.keys(rates).filter((name) => name !== 'plain')) {
    const ratios = rates[name].map((rate, run) => rate / rates.plain[run])
    row[`${name} msg/s`] = fmt(median(rates[name]))
    row[`${name} ÷ ws`] = withRange(median(ratios), [Math.min(...ratios), Math.max(...ratios)])
  }
  Object.assign(row, againstFirstBuild(builds, rates))
  return row
})
console.log(`Echo page → server → page in Chromium ${version}, pipelined (${builds.described}): ÷ plain ws per run, ${RUNS} runs, medians; JSON payloads`)
console.table(rows)
await stop()
process.exit(0)
