// Shared pieces of the benchmarks: servers, tokens, clients, statistics. This tree's core and
// server are loaded only by startServer and connectClient, so that a benchmark of other builds
// (builds.mjs) does not load this tree's dist, which may be in the middle of a rebuild.
import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { SignJWT } from 'jose'
import WebSocket from 'ws'

export const ECDH_INFO = 'bench/v1'
const SECRET = 'bench-secret-bench-secret-bench-secret'
const quiet = { info() {}, warn() {}, error() {}, debug() {} }

export const token = (user) =>
  new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(user).setExpirationTime('1h').sign(new TextEncoder().encode(SECRET))

/**
 * The frame of "open + one JSON round trip": a v1 `authenticate` with a real P-256 key and a token
 * that does not parse, which the server answers at once with an `AUTH_FAILED` error (then 1008).
 * An invalid key would be closed (1002) without an answer.
 */
export async function authenticateFrame() {
  const { publicKey } = await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits'])
  const raw = Buffer.from(await crypto.subtle.exportKey('raw', publicKey)).toString('base64')
  return JSON.stringify({ event: 'authenticate', data: { type: 'Bearer', token: 'x', clientPublicKey: raw } })
}

/**
 * The server's protections against abuse, lifted: a benchmark's own load would trip them (every
 * client is on 127.0.0.1, thousands open at once, bursts faster than a client reads). bench/abuse
 * measures the server with its defaults instead.
 */
export const LIFTED_LIMITS = {
  rateLimit: { perSecond: 1e9, burst: 1e9 },
  byteRateLimit: { perSecond: 1e15, burst: 1e15 },
  handshakeRate: { perSecond: 1e9, burst: 1e9 },
  maxConnections: 1e9,
  maxConnectionsPerAddress: 1e9,
  maxConnectionsPerUser: 1e9,
  incomingQueue: { frames: 1e9, bytes: 1e15 },
  sendHighWaterMark: 1e15,
}

export async function startServer(options = {}) {
  const { createEncryptedSocketServer, silentLogger } = await import('@encrypted-socket/server')
  return createEncryptedSocketServer({
    port: 0,
    ecdhInfo: ECDH_INFO,
    jwtSecret: SECRET,
    logger: silentLogger,
    ...LIFTED_LIMITS,
    ...options,
  })
}

export async function connectClient(url, user, options = {}) {
  const { EncryptedWebSocketClient } = await import('@encrypted-socket/core')
  const client = new EncryptedWebSocketClient({ url, ecdhInfo: ECDH_INFO, token: await token(user), WebSocket, logger: quiet, ...options })
  await client.connect()
  return client
}

export function freePort() {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address()
      probe.close(() => resolve(port))
    })
  })
}

export async function startRedis() {
  const port = await freePort()
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'])
  await new Promise((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (chunk) => {
      out += chunk
      if (out.includes('Ready to accept connections')) resolve()
    })
    child.once('exit', () => reject(new Error(`redis-server exited: ${out}`)))
  })
  return { url: `redis://127.0.0.1:${port}`, stop: () => child.kill('SIGKILL') }
}

export const median = (values) => quantile(values, 0.5)
export function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b)
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[index]
}
export const fmt = (n, digits = 1) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(digits))
export const until = async (condition, timeout = 30_000) => {
  const start = Date.now()
  while (!condition()) {
    if (Date.now() - start > timeout) throw new Error('bench: timed out')
    await new Promise((resolve) => setImmediate(resolve))
  }
}

/**
 * Figures of a benchmark repeated in runs: `runs` is one `{ case: value }` per run (each value
 * itself a median), `base` the case that the others are divided by within each run. Per case: the
 * median value across runs with its range, and the median of the per-run ratios with its range.
 */
export function acrossRuns(runs, base) {
  const cases = Object.keys(runs[0])
  return Object.fromEntries(
    cases.map((name) => {
      const values = runs.map((run) => run[name])
      const ratios = runs.map((run) => run[name] / run[base])
      return [name, { value: median(values), values: [Math.min(...values), Math.max(...values)], ratio: median(ratios), ratios: [Math.min(...ratios), Math.max(...ratios)] }]
    }),
  )
}
/** `1.23 (1.10–1.40)`, the range only when there was more than one run. */
export const withRange = (value, [low, high], digits = 2) => (low === high ? value.toFixed(digits) : `${value.toFixed(digits)} (${low.toFixed(digits)}–${high.toFixed(digits)})`)

/**
 * Each build against the first of `builds` (builds.mjs; e.g. current against the seed), protocol by
 * protocol: the median of the per-run ratios of `rates` (`{ 'v1 current': [per run], … }`), ranged.
 */
export function againstFirstBuild(builds, rates) {
  const columns = {}
  for (const build of builds.slice(1)) {
    for (const protocol of build.protocols.filter((p) => builds[0].protocols.includes(p))) {
      const [name, first] = [`${protocol} ${build.name}`, `${protocol} ${builds[0].name}`]
      const ratios = rates[name].map((rate, run) => rate / rates[first][run])
      columns[`${name} ÷ ${first}`] = withRange(median(ratios), [Math.min(...ratios), Math.max(...ratios)])
    }
  }
  return columns
}
