// The server under attack, one attack after another, while a good client keeps echoing. For each
// attack: whether the server survived, its memory and CPU, the good client's echo latency and
// handshake time, and what became of the attack. The server runs with its default limits in its
// own process (abuseServer.mjs); the good client runs in a worker thread, so that the attackers'
// work in this thread does not show as the server's latency.
//
// ABUSE_SCALE=0.1 scales the attacks' counts; ABUSE_PHASES=<regexp> runs only the matching attacks.
import { spawn } from 'node:child_process'
import { randomBytes, randomInt } from 'node:crypto'
import { connect } from 'node:net'
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'
import { createEphemeralKeys, EncryptedWebSocketClient, encodeFrame, parseFrame } from '@encrypted-socket/core'
import WebSocket from 'ws'
import { startAbuseServer } from './abuseServer.mjs'
import { connectClient, ECDH_INFO, fmt, freePort, median, quantile, startRedis, token } from './lib.mjs'

const SCALE = Number(process.env.ABUSE_SCALE ?? 1)
const ONLY = process.env.ABUSE_PHASES ? new RegExp(process.env.ABUSE_PHASES, 'i') : null
const MiB = 2 ** 20
/** How long the attacks that are not a fixed count go on. */
const ATTACK_MS = 4000
/** The good client is measured for at least this long from an attack's start (a burst's aftermath counts). */
const MIN_PHASE_MS = 3000
/** A phase that takes longer is reported as such, not waited for. */
const PHASE_TIMEOUT = 60_000
/** An echo not back in this time is lost (and counts as this slow in the percentiles). */
const ECHO_TIMEOUT = 2000
/** The server's default handshake budget per address refills in burst / perSecond = 5 s. */
const HANDSHAKE_REFILL_MS = 5000
const REDIS_CHANNEL = 'encrypted-socket:fanout'
const REDIS_SECRET = 'abuse-bench-redis-secret-0123456789abcdef'
const quiet = { info() {}, warn() {}, error() {}, debug() {} }

const scaled = (n) => Math.max(1, Math.round(n * SCALE))
const count = (n) => n.toLocaleString('en-US')
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const portOf = (url) => Number(new URL(url).port)

let server // the server child (abuseServer.mjs)
let redis
/** When an attacker (no address header, so 127.0.0.1) last asked for an upgrade. */
let lastAttackerUpgrade = -Infinity

// ---- Small tools -------------------------------------------------------------------------------

/** Polls `condition` (sync or async) every `every` ms; false when it did not hold within `timeout`. */
async function waitFor(condition, timeout, every = 50) {
  const deadline = performance.now() + timeout
  for (;;) {
    if (await condition()) return true
    if (performance.now() >= deadline) return false
    await sleep(every)
  }
}

/** The promise's value, or `fallback` if it takes longer than `ms`. */
function withTimeout(promise, ms, fallback) {
  let timer
  const late = new Promise((resolve) => (timer = setTimeout(() => resolve(fallback), ms)))
  return Promise.race([promise, late]).finally(() => clearTimeout(timer))
}

/** `ws` that sends `x-bench-address: <address>` (the server counts it under that address). */
function wsWithAddress(address, onCreate) {
  return class extends WebSocket {
    constructor(url, protocols) {
      super(url, protocols, address ? { headers: { 'x-bench-address': address } } : {})
      onCreate?.(this)
    }
  }
}

/** Runs `attempt(i)` `count` times or until `until`, `concurrency` at a time; counts the results. */
async function tally({ count: times = Infinity, until = Infinity, concurrency }, attempt) {
  const results = new Map()
  let started = 0
  const loop = async () => {
    while (started < times && performance.now() < until) {
      const result = await attempt(started++).catch(() => 'bench error')
      results.set(result, (results.get(result) ?? 0) + 1)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, times) }, loop))
  return results
}
const total = (results) => [...results.values()].reduce((sum, n) => sum + n, 0)
const describeTally = (results) =>
  [...results]
    .sort((a, b) => b[1] - a[1])
    .map(([result, n]) => `${count(n)} × ${result}`)
    .join(', ')

// ---- Raw attacker sockets ------------------------------------------------------------------------

/** A TCP connection to the server that reads (and discards) what it is sent; null if it fails. */
function tcp(url) {
  return new Promise((resolve) => {
    const socket = connect(portOf(url), '127.0.0.1')
    const timer = setTimeout(() => (socket.destroy(), resolve(null)), 10_000)
    socket.on('error', () => (clearTimeout(timer), resolve(null))) // resets later on are expected too
    socket.once('connect', () => (clearTimeout(timer), resolve(socket)))
    socket.resume()
  })
}

function upgradeRequest(headers = {}) {
  const lines = {
    Host: '127.0.0.1',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version': '13',
    ...headers,
  }
  const head = Object.entries(lines).map(([name, value]) => `${name}: ${value}`)
  return `GET / HTTP/1.1\r\n${head.join('\r\n')}\r\n\r\n`
}

/**
 * An attacker's `ws` socket. `opened` resolves 'open', the HTTP status of a refused upgrade,
 * 'error' or 'timeout'; `closed` with the close code.
 */
function openWs(url, headers) {
  if (!headers) lastAttackerUpgrade = performance.now()
  const ws = new WebSocket(url, { headers })
  ws.on('error', () => undefined)
  const closed = new Promise((resolve) => ws.once('close', (code) => resolve(code)))
  const opened = new Promise((resolve) => {
    const timer = setTimeout(() => (ws.terminate(), resolve('timeout')), 10_000)
    const done = (result) => (clearTimeout(timer), resolve(result))
    ws.once('open', () => done('open'))
    ws.once('error', () => done('error'))
    ws.once('unexpected-response', (request, response) => {
      done(String(response.statusCode))
      response.resume()
      request.destroy()
    })
  })
  return { ws, opened, closed }
}

/** The close code, as a string ('timeout' when the server keeps the socket 10 s: then it is cut). */
async function closeCode(ws, closed) {
  const code = await withTimeout(closed, 10_000, 'timeout')
  if (code === 'timeout') ws.terminate()
  return String(code)
}

/** Opens a socket and sends `frame` as its first frame: how the server answered. */
async function firstFrame(frame, headers) {
  const { ws, opened, closed } = openWs(server.url, headers)
  const result = await opened
  if (result !== 'open') return result
  ws.send(frame, { binary: false }, () => undefined) // a reset mid-frame is the server's right
  return closeCode(ws, closed)
}

// ---- Redis through redis-cli (no client library to install) ---------------------------------------

const resp = (...parts) => `*${parts.length}\r\n${parts.map((part) => `$${Buffer.byteLength(part)}\r\n${part}\r\n`).join('')}`

/** PUBLISHes every payload on the fan-out channel (`redis-cli --pipe`): how many Redis took. */
function publish(payloads) {
  const cli = spawn('redis-cli', ['-u', redis.url, '--pipe'])
  let out = ''
  cli.stdout.on('data', (chunk) => (out += chunk))
  cli.stdin.on('error', () => undefined)
  cli.stdin.end(payloads.map((payload) => resp('PUBLISH', REDIS_CHANNEL, payload)).join(''))
  const done = new Promise((resolve) => {
    cli.on('error', () => resolve(0))
    cli.on('close', () => resolve(Number(/replies: (\d+)/.exec(out)?.[1] ?? 0)))
  })
  return withTimeout(done, 20_000, 0).finally(() => cli.kill())
}

/** Captures what crosses the fan-out channel (`redis-cli SUBSCRIBE`, one line per field). */
async function tapChannel() {
  const cli = spawn('redis-cli', ['-u', redis.url, 'SUBSCRIBE', REDIS_CHANNEL])
  const payloads = []
  let subscribed = false
  let fields = [] // an incomplete message's lines so far
  let rest = ''
  cli.stdout.on('data', (chunk) => {
    const lines = (rest + chunk).split('\n')
    rest = lines.pop()
    for (const line of lines) {
      fields.push(line)
      if (fields.length < 3) continue
      if (fields[0] === 'subscribe') subscribed = true
      if (fields[0] === 'message') payloads.push(fields[2])
      fields = []
    }
  })
  cli.on('error', () => undefined)
  await waitFor(() => subscribed, 5000)
  return { payloads, stop: () => cli.kill() }
}

const rejectedSum = (stats) => Object.values(stats?.redisRejected ?? {}).reduce((sum, n) => sum + n, 0)
function rejectionsSince(before, after) {
  const reasons = Object.entries(after.redisRejected).map(([reason, n]) => [reason, n - before.redisRejected[reason]])
  return reasons.filter(([, n]) => n > 0).map(([reason, n]) => `${count(n)} ${reason}`).join(', ') || 'none rejected'
}

// ---- The attacks (each resolves with its outcome) ---------------------------------------------------

async function resetAfterRefusedUpgrade() {
  const request = upgradeRequest({ Origin: 'https://evil.example' })
  const results = await tally({ count: scaled(1000), concurrency: 100 }, async () => {
    const socket = await tcp(server.url)
    if (!socket) return 'connect failed'
    socket.write(request)
    socket.resetAndDestroy()
    return 'reset'
  })
  return describeTally(results)
}

const DEEP_JSON = `${'['.repeat(8000)}${']'.repeat(8000)}` // 16,000 bytes: under maxHandshakePayload
const JUNK_2MIB = Buffer.alloc(2 * MiB, '[')

async function firstFrames(frame, concurrency) {
  const results = await tally({ until: performance.now() + ATTACK_MS, concurrency }, () => firstFrame(frame))
  return describeTally(results)
}

async function badTokens(tries, addressOf) {
  const { publicKey } = await createEphemeralKeys()
  const authenticate = encodeFrame({ type: 'authenticate', token: 'bad.token.value', clientPublicKey: publicKey })
  const started = performance.now()
  const results = await tally({ count: tries, concurrency: 100 }, (i) =>
    firstFrame(authenticate, addressOf && { 'x-bench-address': addressOf(i) }),
  )
  const perSecond = total(results) / ((performance.now() - started) / 1000)
  return `${describeTally(results)} (${fmt(perSecond)} tries/s)`
}

async function slowloris() {
  const closedAfter = []
  const sockets = []
  const results = await tally({ count: scaled(1500), concurrency: 100 }, async () => {
    const socket = await tcp(server.url)
    if (!socket) return 'connect failed'
    const sentAt = performance.now()
    socket.once('close', () => closedAfter.push(performance.now() - sentAt))
    socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n') // and nothing more
    sockets.push(socket)
    return 'open'
  })
  const allCut = await waitFor(() => closedAfter.length === sockets.length, 25_000, 100)
  sockets.forEach((socket) => socket.destroy())
  const failed = total(results) - sockets.length
  const last = closedAfter.length ? Math.max(...closedAfter) / 1000 : 0
  return [
    `${count(closedAfter.length)} cut after ≤ ${last.toFixed(1)} s`,
    allCut ? '' : `, ${count(sockets.length - closedAfter.length)} still open after 25 s`,
    failed ? `, ${count(failed)} failed to connect` : '',
  ].join('')
}

/** A raw upgrade that then stays silent: resolves `{ upgradedAt, cutAt }`, or `{ refused }`. */
async function silentUpgrade(request) {
  const socket = await tcp(server.url)
  if (!socket) return { refused: 'connect failed' }
  lastAttackerUpgrade = performance.now()
  const cutAt = new Promise((resolve) => socket.once('close', () => resolve(performance.now())))
  const answer = new Promise((resolve) => socket.once('data', (chunk) => resolve(chunk.toString('latin1'))))
  socket.write(request)
  const head = await withTimeout(Promise.race([answer, cutAt.then(() => '')]), 10_000, '')
  const status = /^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 'no answer'
  if (status === '101') return { upgradedAt: performance.now(), cutAt } // never answers the close
  socket.destroy()
  return { refused: status }
}

/** The attacker tries to hold every socket for ATTACK_MS, retrying refused upgrades every 250 ms. */
async function silentUpgradedSockets() {
  const request = upgradeRequest()
  const deadline = performance.now() + ATTACK_MS
  const refused = new Map()
  const held = []
  await Promise.all(
    Array.from({ length: scaled(300) }, async () => {
      while (performance.now() < deadline) {
        const socket = await silentUpgrade(request)
        if (socket.upgradedAt) return held.push(socket)
        refused.set(socket.refused, (refused.get(socket.refused) ?? 0) + 1)
        await sleep(250)
      }
    }),
  )
  const cuts = await withTimeout(Promise.all(held.map(({ upgradedAt, cutAt }) => cutAt.then((at) => at - upgradedAt))), 25_000, null)
  const refusals = refused.size ? `; refused (retried): ${describeTally(refused)}` : ''
  if (!cuts) return `${count(held.length)} upgraded, not all cut within 25 s${refusals}`
  const [first, last] = [Math.min(...cuts) / 1000, Math.max(...cuts) / 1000]
  return `${count(held.length)} upgraded, cut ${first.toFixed(1)}–${last.toFixed(1)} s after the upgrade${refusals}`
}

/** A client that stops reading while it asks for big echoes: the server's replies pile up. */
async function slowReader() {
  let socket
  const client = await connectClient(server.url, 'slow-reader', {
    WebSocket: wsWithAddress(null, (ws) => (socket = ws)),
    reconnect: { enabled: false },
  })
  socket._socket.pause()
  const before = await server.stats()
  const payload = 'x'.repeat(32 * 1024) // 83 a second: under 100 messages and 4 MiB a second
  const started = performance.now()
  let goneAfter = null
  let maxBuffered = 0
  const watching = waitFor(
    async () => {
      const stats = await server.stats({ user: 'slow-reader' })
      if (!stats) return true
      if (stats.user.length === 0) return (goneAfter = performance.now() - started)
      maxBuffered = Math.max(maxBuffered, stats.user[0].bufferedAmount)
      return false
    },
    40_000,
    250,
  )
  while (goneAfter === null && performance.now() - started < 40_000 && !server.exit) {
    client.send('echo', payload).catch(() => undefined)
    await sleep(12)
  }
  await watching
  client.destroy()
  const after = await server.stats()
  if (!after) return 'server gone'
  const dropped = after.drops.slowConsumer - before.drops.slowConsumer
  const notReading = 'closing a client that does not read'
  const how = (after.logged[notReading] ?? 0) > (before.logged[notReading] ?? 0) ? 'closed 1013 "Not reading"' : 'cut'
  const buffered = `${(maxBuffered / MiB).toFixed(1)} MiB buffered at most`
  if (goneAfter === null) return `still connected after 40 s, ${count(dropped)} replies dropped, ${buffered}`
  return `${how} after ${(goneAfter / 1000).toFixed(1)} s, ${count(dropped)} replies dropped, ${buffered}`
}

/**
 * Events whose handler takes 500 ms, at the rate limit, for 5 s, from `sessions` connections of
 * one token: each has its own incoming queue for the server to hold.
 */
async function slowHandler(sessions) {
  const user = `slow-handler-${sessions}`
  const connecting = Array.from({ length: sessions }, () => connectClient(server.url, user, { reconnect: { enabled: false } }))
  const clients = await Promise.all(connecting)
  const before = await server.stats()
  const payload = 'x'.repeat(32 * 1024)
  let sent = 0
  let paused = 0
  const watch = setInterval(async () => {
    const stats = await server.stats({ user })
    paused = Math.max(paused, stats?.user.filter((connection) => connection.readPaused).length ?? 0)
  }, 250)
  for (const end = performance.now() + 5000; performance.now() < end; ) {
    for (const client of clients) client.send('slow', payload).catch(() => undefined)
    sent += sessions
    await sleep(12)
  }
  clearInterval(watch)
  const atClose = await server.stats()
  clients.forEach((client) => client.destroy())
  await sleep(2000)
  const later = await server.stats({ user })
  if (!atClose || !later) return 'server gone'
  const handled = atClose.slowHandled - before.slowHandled
  const dropped = atClose.drops.rateLimited - before.drops.rateLimited
  const pausedOn = sessions === 1 ? (paused ? 'paused' : 'never paused') : `paused on ${paused} of ${sessions}`
  return [
    `${count(sent)} sent, ${handled} handled, reading ${pausedOn}, ${count(dropped)} dropped;`,
    `2 s after the client${sessions === 1 ? '' : 's'} left: ${later.user.length} still open, ${later.slowHandled - atClose.slowHandled} more handled`,
  ].join(' ')
}

async function floodFromOneConnection() {
  const client = await connectClient(server.url, 'flooder', { reconnect: { enabled: false } })
  let echoed = 0
  client.on('echo.reply', () => echoed++)
  const before = await server.stats()
  const messages = scaled(5000)
  for (let i = 0; i < messages; i++) client.send('echo', i).catch(() => undefined)
  let dropped = 0
  const accounted = await waitFor(
    async () => {
      const stats = await server.stats()
      if (!stats) return true
      dropped = stats.drops.rateLimited - before.drops.rateLimited
      return echoed + dropped >= messages
    },
    10_000,
    100,
  )
  client.destroy()
  const rest = accounted ? '' : `, ${count(messages - echoed - dropped)} unaccounted for after 10 s`
  return `${count(messages)} sent: ${count(echoed)} echoed, ${count(dropped)} dropped by the rate limit${rest}`
}

/** One valid token opening sessions, 100 at a time; the ones that get in are held to the end. */
async function connectionFloodPerToken() {
  const { publicKey } = await createEphemeralKeys()
  const authenticate = encodeFrame({ type: 'authenticate', token: await token('one-token'), clientPublicKey: publicKey })
  const held = []
  const results = await tally({ count: scaled(2000), concurrency: 100 }, async () => {
    const { ws, opened, closed } = openWs(server.url)
    const result = await opened
    if (result !== 'open') return result
    const connected = new Promise((resolve) =>
      ws.on('message', (data) => parseFrame(String(data)).type === 'connected' && resolve('held')),
    )
    ws.send(authenticate)
    const outcome = await withTimeout(Promise.race([connected, closed.then(String)]), 10_000, 'timeout')
    if (outcome === 'held') held.push(ws)
    else if (outcome === 'timeout') ws.terminate()
    return outcome
  })
  held.forEach((ws) => ws.terminate())
  return describeTally(results)
}

async function redisJunk() {
  const before = await server.stats()
  const perKind = scaled(2000)
  const junk = [
    () => '1',
    () => '{}',
    () => 'null',
    () => '['.repeat(16 * 1024),
    () => randomBytes(16 + randomInt(2048)).toString('base64'),
  ]
  let published = 0
  for (let round = 0; round < 4; round++) {
    const payloads = junk.flatMap((make) => Array.from({ length: Math.ceil(perKind / 4) }, make))
    published += await publish(payloads)
    await sleep(1000)
  }
  await waitFor(async () => rejectedSum(await server.stats()) - rejectedSum(before) >= published, 5000, 100)
  const after = await server.stats()
  if (!after) return 'server gone'
  return `${count(published)} published ('1', '{}', 'null', deep JSON, random base64): ${rejectionsSince(before, after)}`
}

/**
 * Another instance (the peer) publishes a room's chat; a member of the room on the server under
 * attack receives it. The envelopes captured on the channel are then published again, 100 times each.
 */
async function redisReplay() {
  const room = 'replay'
  const peer = await startAbuseServer({ demo: true, redis: { url: redis.url, secret: REDIS_SECRET } })
  const clients = []
  let tap
  try {
    await waitFor(async () => (await peer.stats())?.redisReady, 10_000, 100)
    const member = await connectClient(server.url, 'member', { WebSocket: wsWithAddress('member'), autoJoinRooms: [room] })
    const sender = await connectClient(peer.url, 'sender', { autoJoinRooms: [room] })
    clients.push(member, sender)
    let received = 0
    member.on('chat.message', () => received++)
    const joined = async () =>
      (await server.stats({ room }))?.roomMembers === 1 && (await peer.stats({ room }))?.roomMembers === 1
    await waitFor(joined, 5000)
    tap = await tapChannel()
    const messages = 20
    for (let i = 0; i < messages; i++) {
      await sender.send('chat.send', { room, text: `message ${i}` })
      await sleep(20)
    }
    await waitFor(() => received >= messages && tap.payloads.length >= messages, 5000)
    const envelopes = tap.payloads.slice()
    tap.stop()
    const originals = received
    const before = await server.stats()
    const published = await publish(envelopes.flatMap((envelope) => Array(100).fill(envelope)))
    await waitFor(async () => rejectedSum(await server.stats()) - rejectedSum(before) >= published, 5000, 100)
    await sleep(300)
    const after = await server.stats()
    if (!after) return 'server gone'
    const duplicates = received - originals
    return `${count(published)} replays of ${envelopes.length} envelopes (${originals} of ${messages} delivered first): ${duplicates} delivered again, ${rejectionsSince(before, after)}`
  } finally {
    tap?.stop()
    clients.forEach((client) => client.destroy())
    await peer.stop()
  }
}

const ATTACKS = [
  { name: 'reset after refused upgrade', run: resetAfterRefusedUpgrade },
  { name: 'deep JSON before auth', run: () => firstFrames(DEEP_JSON, 50), upgrades: true },
  { name: '2 MiB junk frames before auth', run: () => firstFrames(JUNK_2MIB, 10), upgrades: true },
  { name: 'bad tokens', run: () => badTokens(scaled(10_000)), upgrades: true },
  { name: 'bad tokens from many addresses', run: () => badTokens(scaled(2000), (i) => `bot-${i}`) },
  { name: 'slowloris', run: slowloris },
  { name: 'silent upgraded sockets', run: silentUpgradedSockets, upgrades: true },
  { name: 'slow reader', run: slowReader, upgrades: true },
  { name: 'slow handler', run: () => slowHandler(1), upgrades: true },
  { name: 'flood from one connection', run: floodFromOneConnection, upgrades: true },
  { name: 'connection flood per token', run: connectionFloodPerToken, upgrades: true },
  { name: 'redis junk', run: redisJunk },
  { name: 'redis replay', run: redisReplay },
  // Last: its queued handlers go on for minutes after it, which would skew the rows after it.
  { name: 'slow handler, 32 sessions of one token', run: () => slowHandler(32), upgrades: true },
]

// ---- The good client (a worker thread) -------------------------------------------------------------

/** Echoes one at a time and times fresh handshakes; hands the figures over per phase. */
async function runGoodClient(url) {
  const GoodWs = wsWithAddress('good')
  let phase = null
  parentPort.on('message', (message) => {
    if (message === 'start') phase = { echo: [], lost: 0, handshakes: [], failedHandshakes: 0 }
    if (message === 'collect') {
      parentPort.postMessage(phase)
      phase = null
    }
  })
  const client = await connectClient(url, 'good', { WebSocket: GoodWs })
  parentPort.postMessage('ready')
  void timeHandshakes(url, GoodWs, () => phase)
  await echoForever(client, () => phase)
}

/** One echo at a time, every 12 ms at most: under the server's rate limit of 100 messages/s. */
async function echoForever(client, currentPhase) {
  const replies = new Map()
  client.on('echo.reply', (id) => replies.get(id)?.())
  for (let id = 0; ; id++) {
    const phase = currentPhase()
    const started = performance.now()
    const replied = await new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ECHO_TIMEOUT)
      replies.set(id, () => (clearTimeout(timer), resolve(true)))
      client.send('echo', id).catch(() => undefined) // a send that fails is lost after the timeout
    })
    replies.delete(id)
    if (phase && phase === currentPhase()) {
      if (replied) phase.echo.push(performance.now() - started)
      else phase.lost++
    }
    await sleep(12)
  }
}

/** Up to 10 fresh `connect()`s per phase, 250 ms apart, the first as the phase starts. */
async function timeHandshakes(url, WebSocketClass, currentPhase) {
  const probeToken = await token('probe')
  for (;;) {
    const phase = currentPhase()
    if (!phase || phase.handshakes.length + phase.failedHandshakes >= 10) {
      await sleep(10)
      continue
    }
    const client = new EncryptedWebSocketClient({
      url,
      ecdhInfo: ECDH_INFO,
      token: probeToken,
      WebSocket: WebSocketClass,
      logger: quiet,
      reconnect: { enabled: false },
      handshakeTimeout: 5000,
    })
    const started = performance.now()
    try {
      await client.connect()
      phase.handshakes.push(performance.now() - started)
    } catch {
      phase.failedHandshakes++
    }
    client.destroy()
    await sleep(250)
  }
}

function startGoodClient(url) {
  const worker = new Worker(new URL(import.meta.url), { workerData: { url } })
  worker.on('error', (error) => console.error('bench: the good client failed:', error))
  const next = () => new Promise((resolve) => worker.once('message', resolve))
  return {
    ready: withTimeout(next(), 10_000, null),
    start: () => worker.postMessage('start'),
    collect() {
      const collected = withTimeout(next(), 5000, null)
      worker.postMessage('collect')
      return collected
    },
    stop: () => worker.terminate(),
  }
}

// ---- Measuring and reporting -----------------------------------------------------------------------

/** The server's largest RSS while the phase runs, sampled every 250 ms. */
function watchPeakRss() {
  let peak = 0
  const timer = setInterval(async () => (peak = Math.max(peak, (await server.stats())?.rss ?? 0)), 250)
  return (last = 0) => (clearInterval(timer), Math.max(peak, last))
}

async function measure(name, attack, good) {
  const before = await server.stats({ gc: true })
  const peakRss = watchPeakRss()
  good.start()
  const started = performance.now()
  let outcome
  try {
    outcome = await withTimeout(attack(), PHASE_TIMEOUT, `gave up waiting after ${PHASE_TIMEOUT / 1000} s`)
  } catch (error) {
    outcome = `bench error: ${error.message}`
  }
  await sleep(started + MIN_PHASE_MS - performance.now())
  const wallMs = performance.now() - started
  const end = await server.stats()
  const sample = await good.collect()
  const peak = peakRss(end?.rss)
  const after = await server.stats({ gc: true })
  const exit = server.exit
  if (exit) outcome = `SERVER EXITED (code ${exit.code}, signal ${exit.signal}); ${outcome}`
  return { name, alive: !exit, before, end, after, peak, wallMs, sample, outcome }
}

const mib = (bytes) => (bytes / MiB).toFixed(1)
const cpuMicros = (stats) => stats.cpu.user + stats.cpu.system

/** The figures of a phase: echo latencies (lost ones count as ECHO_TIMEOUT), growth, CPU. */
function figures({ before, end, after, peak, wallMs, sample }) {
  const echo = sample ? [...sample.echo, ...Array(sample.lost).fill(ECHO_TIMEOUT)] : []
  return {
    echoP50: echo.length ? median(echo) : NaN,
    echoP99: echo.length ? quantile(echo, 0.99) : NaN,
    lost: sample?.lost ?? 0,
    handshakeP50: sample?.handshakes.length ? median(sample.handshakes) : NaN,
    failedHandshakes: sample?.failedHandshakes ?? 0,
    growth: before && peak ? peak - before.rss : NaN,
    rss: before && after ? `${mib(before.rss)} → ${mib(after.rss)}` : before ? `${mib(before.rss)} → ?` : '?',
    heap: after ? mib(after.heapUsed) : '?',
    cpu: before && end ? ((cpuMicros(end) - cpuMicros(before)) / 1000 / wallMs) * 100 : NaN,
  }
}

const RSS_LIMIT = 64 * MiB
const P99_FACTOR = 5

function checksOf(result, f, calmP99) {
  const failed = []
  if (!result.alive) failed.push('died')
  if (!(f.growth <= RSS_LIMIT)) failed.push('RSS')
  if (!(f.echoP99 <= P99_FACTOR * calmP99)) failed.push(`p99 ${fmt(f.echoP99 / calmP99)}×`)
  return failed.length ? `FAIL: ${failed.join(', ')}` : 'PASS'
}

function tableRow(result, f, checks) {
  const show = (n, digits = 2) => (Number.isFinite(n) ? fmt(n, digits) : '—')
  return {
    attack: result.name,
    alive: result.alive ? 'yes' : 'NO',
    'RSS MiB before → after': result.before ? `${f.rss} (peak +${mib(Math.max(0, f.growth))}, heap ${f.heap})` : '?',
    'CPU %': show(f.cpu, 0),
    'echo p50 / p99 ms': `${show(f.echoP50)} / ${show(f.echoP99)}${f.lost ? ` (${f.lost} lost)` : ''}`,
    'handshake p50 ms': `${show(f.handshakeP50)}${f.failedHandshakes ? ` (${f.failedHandshakes} failed)` : ''}`,
    outcome: result.outcome,
    checks,
  }
}

function report(calm, results) {
  const calmFigures = figures(calm)
  const calmP99 = calmFigures.echoP99
  const rows = [tableRow(calm, calmFigures, '—')]
  const all = results.map((result) => ({ result, f: figures(result) }))
  for (const { result, f } of all) rows.push(tableRow(result, f, checksOf(result, f, calmP99)))
  console.log(
    `The server under attack (Node ${process.version}, server in its own process with its default limits, ` +
      `2 cores, attack counts × ${SCALE}; good client: one echo at a time, every 12 ms)`,
  )
  console.table(rows)
  console.log(
    'RSS: after a GC, before the attack → after it (peak: the largest RSS sampled during it, over the one before; heap: the JS heap in use after it, after a GC).',
  )
  console.log(
    'Outcomes: 3-digit codes are HTTP refusals of the upgrade (429: per-address handshake rate or connections), 4-digit ones WebSocket close codes.',
  )
  const check = (label, failing) =>
    console.log(`check: ${label}: ${failing.length ? `FAIL (${failing.join('; ')})` : 'PASS'}`)
  check(
    'the server alive after every attack',
    all.filter(({ result }) => !result.alive).map(({ result }) => result.name),
  )
  check(
    `RSS growth ≤ ${RSS_LIMIT / MiB} MiB under each attack`,
    all.filter(({ f }) => !(f.growth <= RSS_LIMIT)).map(({ result, f }) => `${result.name}: +${mib(f.growth)} MiB`),
  )
  check(
    `good client echo p99 ≤ ${P99_FACTOR}× calm p99 (${fmt(calmP99, 2)} ms → ≤ ${fmt(P99_FACTOR * calmP99, 2)} ms) under each attack`,
    all
      .filter(({ f }) => !(f.echoP99 <= P99_FACTOR * calmP99))
      .map(({ result, f }) => `${result.name}: ${fmt(f.echoP99, 2)} ms`),
  )
}

// ---- Main -------------------------------------------------------------------------------------------

async function main() {
  const benchErrors = []
  // Attackers' sockets get resets and refusals everywhere: nothing of that may end the bench.
  process.on('uncaughtException', (error) => benchErrors.push(error))
  process.on('unhandledRejection', (error) => benchErrors.push(error))
  redis = await startRedis()
  const options = { port: await freePort(), demo: true, slowEvent: 'slow', redis: { url: redis.url, secret: REDIS_SECRET } }
  const startServer = async () => {
    server = await startAbuseServer(options)
    await waitFor(async () => (await server.stats())?.redisReady, 10_000, 100)
  }
  await startServer()
  const good = startGoodClient(server.url)
  if ((await good.ready) !== 'ready') throw new Error('bench: the good client did not connect')
  await sleep(1000) // the good client warms up (JIT, first key agreements) before the calm figures
  const calm = await measure('calm (no attack)', () => sleep(3000).then(() => '—'), good)
  const results = []
  for (const attack of ATTACKS.filter(({ name }) => !ONLY || ONLY.test(name))) {
    await sleep(1000) // what the last attack left behind settles
    // Each attack from 127.0.0.1 starts with a full handshake budget for that address.
    if (attack.upgrades) await sleep(lastAttackerUpgrade + HANDSHAKE_REFILL_MS - performance.now())
    if (server.exit) await startServer() // on the same port: the good client reconnects
    results.push(await measure(attack.name, attack.run, good))
  }
  report(calm, results)
  if (benchErrors.length) {
    console.log(`bench-side errors caught: ${benchErrors.length} (first: ${benchErrors[0]?.stack ?? benchErrors[0]})`)
  }
  await good.stop()
  await server.stop()
  redis.stop()
  process.exit(0)
}

if (isMainThread) await main()
else await runGoodClient(workerData.url)
