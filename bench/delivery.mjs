// What acknowledged delivery costs (issue 17): v2 echo throughput of this build (every send
// numbered, kept until acknowledged, the server's session stream numbered and kept until the
// client acknowledges it) against the build before it (commit BASELINE: v2 without acks, resume
// or requests), in one run. The baseline is checked out into a temporary git worktree and built
// there; each build's server runs in its own process, its client here; the two alternate.
import { execFileSync, fork } from 'node:child_process'
import { existsSync, mkdtempSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { SignJWT } from 'jose'
import WebSocket from 'ws'

const BASELINE = process.env.BENCH_BASELINE ?? '2c59e6c' // the last commit before v2 delivery
const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const SIZES = [
  ['64 B', 64, 4000],
  ['1 KiB', 1024, 4000],
  ['16 KiB', 16 * 1024, 1000],
]
const ECDH_INFO = 'bench/v1'
const SECRET = 'bench-secret-bench-secret-bench-secret'
const root = fileURLToPath(new URL('..', import.meta.url))

/** Checks the baseline out beside the repo's node_modules and builds its core and server. */
function buildBaseline() {
  const dir = mkdtempSync(join(tmpdir(), 'es-bench-baseline-'))
  execFileSync('git', ['worktree', 'add', '--detach', dir, BASELINE], { cwd: root, stdio: 'ignore' })
  for (const path of ['node_modules', 'packages/core/node_modules', 'packages/server/node_modules']) {
    if (existsSync(join(root, path))) symlinkSync(join(root, path), join(dir, path))
  }
  for (const pkg of ['core', 'server']) {
    execFileSync('npx', ['tsup'], { cwd: join(dir, 'packages', pkg), stdio: 'ignore' })
  }
  return {
    dir,
    remove: () => execFileSync('git', ['worktree', 'remove', '--force', dir], { cwd: root, stdio: 'ignore' }),
  }
}

function startServer(serverModule) {
  const child = fork(fileURLToPath(import.meta.url), ['server', serverModule], { stdio: 'inherit' })
  return new Promise((resolve) =>
    child.once('message', ({ url }) =>
      resolve({ url, stop: () => new Promise((done) => child.once('exit', done) && child.send('stop')) }),
    ),
  )
}

async function connect(coreModule, url, user) {
  const { EncryptedWebSocketClient } = await import(pathToFileURL(coreModule).href)
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(user)
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET))
  const quiet = { debug() {}, info() {}, warn() {}, error() {} }
  const client = new EncryptedWebSocketClient({
    url,
    ecdhInfo: ECDH_INFO,
    token,
    WebSocket,
    logger: quiet,
    protocol: 'v2',
    outbox: { maxSize: 1e6, maxAge: Infinity },
  })
  await client.connect()
  return client
}

/** Messages per second, pipelined, until every reply arrived and every send settled. */
async function rate(client, size, count) {
  let received = 0
  let done
  const replies = new Promise((resolve) => (done = resolve))
  const stop = client.on('echo.reply', () => ++received === count && done())
  const data = { text: 'x'.repeat(Math.max(0, size - 30)) }
  const start = performance.now()
  const sends = []
  for (let i = 0; i < count; i++) sends.push(client.send('echo', data))
  await Promise.all([replies, Promise.all(sends)])
  const elapsed = performance.now() - start
  stop()
  return (count * 1000) / elapsed
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

async function main() {
  const baseline = buildBaseline()
  try {
    const builds = {
      now: {
        core: join(root, 'packages/core/dist/index.js'),
        server: join(root, 'packages/server/dist/index.js'),
      },
      before: {
        core: join(baseline.dir, 'packages/core/dist/index.js'),
        server: join(baseline.dir, 'packages/server/dist/index.js'),
      },
    }
    const servers = {
      now: await startServer(builds.now.server),
      before: await startServer(builds.before.server),
    }
    const clients = {
      now: await connect(builds.now.core, servers.now.url, 'now'),
      before: await connect(builds.before.core, servers.before.url, 'before'),
    }
    const rows = []
    for (const [label, size, count] of SIZES) {
      const rates = { now: [], before: [] }
      for (const name of ['now', 'before']) {
        if (process.env.BENCH_DEBUG) console.log('warm', name, label)
        await rate(clients[name], size, Math.ceil(count / 4)) // warm up
      }
      for (let run = 0; run < RUNS; run++) {
        for (const name of run % 2 ? ['before', 'now'] : ['now', 'before'])
          rates[name].push(await rate(clients[name], size, count))
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

if (process.argv[2] === 'server') {
  const { createEncryptedSocketServer } = await import(pathToFileURL(process.argv[3]).href)
  const quiet = { debug() {}, info() {}, warn() {}, error() {} }
  const server = await createEncryptedSocketServer({
    port: 0,
    ecdhInfo: ECDH_INFO,
    jwtSecret: SECRET,
    demo: true,
    logger: quiet,
    maxPayload: 4 * 1024 * 1024,
    // The limits lifted, as in lib.mjs (copied: the baseline's lib may differ).
    rateLimit: { perSecond: 1e9, burst: 1e9 },
    byteRateLimit: { perSecond: 1e15, burst: 1e15 },
    incomingQueue: { frames: 1e9, bytes: 1e15 },
    sendHighWaterMark: 1e15,
    resumeMaxMessages: 1e6,
  })
  process.send({ url: server.url })
  process.on('message', () => server.close({ timeout: 200 }).then(() => process.exit(0)))
} else {
  await main()
  process.exit(0)
}
