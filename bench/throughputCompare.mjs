// The echo of throughput.mjs through this build and through an earlier one (issue 20), in one run:
// v2 and v1 of each build and the plain `ws` echo, one after the other in a rotating order, so
// that every ratio is taken within one run. The earlier build (commit BENCH_BASELINE) is checked
// out into a temporary git worktree and built there, as delivery.mjs does; BENCH_BASELINE_DIR
// reuses a worktree built already (kept afterwards). Each build's server runs in its own process.
//   BENCH_BASELINE=<commit> node throughputCompare.mjs      (BENCH_RUNS 5, BENCH_SIZES '64 B,1 KiB,16 KiB')
// BENCH_ACKED=1 also waits for every send() to settle (v2: the server's ack), as delivery.mjs.
import { execFileSync, fork } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { SignJWT } from 'jose'
import WebSocket from 'ws'
import { startPlainEchoProcess } from './serverProcess.mjs'
import { echoPayload, selectedSizes } from './throughputCases.mjs'

const ECDH_INFO = 'bench/v1'
const SECRET = 'bench-secret-bench-secret-bench-secret'
const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const SCALE = Number(process.env.BENCH_SCALE ?? 1)
const ACKED = Boolean(process.env.BENCH_ACKED)
const root = fileURLToPath(new URL('..', import.meta.url))
const quiet = { debug() {}, info() {}, warn() {}, error() {} }

function baselineBuild() {
  if (process.env.BENCH_BASELINE_DIR) return { dir: process.env.BENCH_BASELINE_DIR, remove() {} }
  const commit = process.env.BENCH_BASELINE
  if (!commit) throw new Error('Set BENCH_BASELINE=<commit> (or BENCH_BASELINE_DIR=<a built worktree>).')
  const dir = mkdtempSync(join(tmpdir(), 'es-bench-baseline-'))
  execFileSync('git', ['worktree', 'add', '--detach', dir, commit], { cwd: root, stdio: 'ignore' })
  for (const path of ['node_modules', 'packages/core/node_modules']) {
    if (existsSync(join(root, path))) symlinkSync(join(root, path), join(dir, path))
  }
  // The server's dependencies, except core: the baseline's server must load the baseline's core
  // (a link to this repo's packages/server/node_modules would resolve core to this build's).
  const serverModules = join(dir, 'packages/server/node_modules')
  mkdirSync(join(serverModules, '@encrypted-socket'), { recursive: true })
  for (const entry of readdirSync(join(root, 'packages/server/node_modules'))) {
    if (entry !== '@encrypted-socket') symlinkSync(join(root, 'packages/server/node_modules', entry), join(serverModules, entry))
  }
  symlinkSync(join(dir, 'packages/core'), join(serverModules, '@encrypted-socket/core'))
  for (const pkg of ['core', 'server']) execFileSync('npx', ['tsup'], { cwd: join(dir, 'packages', pkg), stdio: 'ignore' })
  return { dir, remove: () => execFileSync('git', ['worktree', 'remove', '--force', dir], { cwd: root, stdio: 'ignore' }) }
}

function startServer(serverModule) {
  const child = fork(fileURLToPath(import.meta.url), ['server', serverModule], { stdio: 'inherit' })
  return new Promise((resolve) =>
    child.once('message', ({ url }) => resolve({ url, stop: () => new Promise((done) => child.once('exit', done) && child.send('stop')) })),
  )
}

async function connect(coreModule, url, user, protocol) {
  const { EncryptedWebSocketClient } = await import(pathToFileURL(coreModule).href)
  const key = new TextEncoder().encode(SECRET)
  const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(user).setExpirationTime('1h').sign(key)
  const client = new EncryptedWebSocketClient({ url, ecdhInfo: ECDH_INFO, token, WebSocket, logger: quiet, protocol })
  await client.connect()
  return client
}

/** As throughput.mjs: messages per second until every reply arrived. */
async function encryptedRate(client, size, count) {
  let received = 0
  let done
  const finished = new Promise((resolve) => (done = resolve))
  const stop = client.on('echo.reply', () => ++received === count && done())
  const data = echoPayload(size)
  const start = performance.now()
  const sends = []
  for (let i = 0; i < count; i++) sends.push(client.send('echo', data))
  // BENCH_ACKED: as delivery.mjs, until every send settled too (v2: acknowledged by the server).
  await (ACKED ? Promise.all([finished, ...sends]) : finished)
  stop()
  return (count * 1000) / (performance.now() - start)
}

async function plainRate(plain, size, count) {
  let received = 0
  let done
  const finished = new Promise((resolve) => (done = resolve))
  const onMessage = () => ++received === count && done()
  plain.on('message', onMessage)
  const text = JSON.stringify({ event: 'echo', data: echoPayload(size) })
  const start = performance.now()
  for (let i = 0; i < count; i++) plain.send(text)
  await finished
  plain.off('message', onMessage)
  return (count * 1000) / (performance.now() - start)
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

async function main() {
  const baseline = baselineBuild()
  try {
    const builds = { now: root, before: baseline.dir }
    const servers = {}
    const clients = {}
    for (const [name, dir] of Object.entries(builds)) {
      servers[name] = await startServer(join(dir, 'packages/server/dist/index.js'))
      for (const protocol of ['v2', 'v1']) {
        clients[`${protocol} ${name}`] = await connect(join(dir, 'packages/core/dist/index.js'), servers[name].url, `${name}-${protocol}`, protocol)
      }
    }
    const plainServer = await startPlainEchoProcess({ maxPayload: 4 * 1024 * 1024 })
    const plain = new WebSocket(plainServer.url)
    await new Promise((resolve) => plain.once('open', resolve))
    const cases = [...Object.keys(clients), 'plain']
    const rateOf = (name, size, count) => (name === 'plain' ? plainRate(plain, size, count) : encryptedRate(clients[name], size, count))
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

if (process.argv[2] === 'server') {
  const { createEncryptedSocketServer } = await import(pathToFileURL(process.argv[3]).href)
  // The limits lifted as in lib.mjs (copied: the baseline's lib may differ).
  const server = await createEncryptedSocketServer({
    port: 0,
    ecdhInfo: ECDH_INFO,
    jwtSecret: SECRET,
    demo: true,
    logger: quiet,
    maxPayload: 4 * 1024 * 1024,
    rateLimit: { perSecond: 1e9, burst: 1e9 },
    byteRateLimit: { perSecond: 1e15, burst: 1e15 },
    handshakeRate: { perSecond: 1e9, burst: 1e9 },
    maxConnections: 1e9,
    maxConnectionsPerAddress: 1e9,
    maxConnectionsPerUser: 1e9,
    incomingQueue: { frames: 1e9, bytes: 1e15 },
    sendHighWaterMark: 1e15,
  })
  process.send({ url: server.url })
  process.on('message', () => server.close({ timeout: 200 }).then(() => process.exit(0)))
} else {
  await main()
  process.exit(0)
}
