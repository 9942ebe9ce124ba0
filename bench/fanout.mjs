// One event to a room of 1,000 connections, each encrypted for its own key: deliveries per
// second at the server, against a plain `ws` broadcast of the same JSON to 1,000 sockets. The
// receiving sockets are raw `ws` sockets in their own process, so only the server's work is timed.
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { WebSocketServer } from 'ws'
import { fmt, median } from './lib.mjs'

const COUNT = Number(process.env.BENCH_CLIENTS ?? 1000)
const EVENTS = Number(process.env.BENCH_EVENTS ?? 20)
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
// The cases, each its own server and receivers, run in turn within every run: the server's
// `workers` (e.g. BENCH_WORKERS=0,1,2) times the receivers' protocol (BENCH_PROTOCOLS=v1,v2).
const WORKERS = (process.env.BENCH_WORKERS ?? '0').split(',').map(Number)
const PROTOCOLS = (process.env.BENCH_PROTOCOLS ?? 'v1').split(',')

if (process.argv[2] === 'receivers') {
  // Connects COUNT sockets (encrypted ones authenticate and join the room) and reports frame counts.
  const { default: WebSocket } = await import('ws')
  const core = await import('@encrypted-socket/core')
  const { createEphemeralKeys, encodeFrame } = core
  const { ECDH_INFO, token } = await import('./lib.mjs')
  const [url, mode] = process.argv.slice(3)
  let frames = 0
  const sockets = await Promise.all(
    Array.from({ length: COUNT }, async (_, i) => {
      const socket = new WebSocket(url, mode === 'v2' ? [core.PROTOCOL_V2] : [])
      // The v2 welcome comes right after the open: listened for from the start.
      const welcome = new Promise((resolve) => socket.once('message', (data) => resolve(data.toString())))
      await new Promise((resolve) => socket.once('open', resolve))
      if (mode === 'v2') await joinV2(socket, welcome, core, ECDH_INFO, await token(`r${i}`))
      if (mode === 'encrypted') {
        const keys = await createEphemeralKeys()
        socket.send(encodeFrame({ type: 'authenticate', token: await token(`r${i}`), clientPublicKey: keys.publicKey }))
        await new Promise((resolve) => socket.once('message', resolve))
        socket.send(encodeFrame({ type: 'join', rooms: ['room'] }))
      }
      socket.on('message', () => frames++)
      return socket
    }),
  )
  process.send('ready')
  process.on('message', (message) => {
    if (message === 'count') process.send({ frames })
    if (message === 'stop') {
      sockets.forEach((s) => s.terminate())
      process.exit(0)
    }
  })
} else {
  const { startServer } = await import('./lib.mjs')
  const receivers = (url, mode) => {
    const child = fork(fileURLToPath(import.meta.url), ['receivers', url, mode])
    return new Promise((resolve) => child.once('message', () => resolve(child)))
  }
  const count = (child) => new Promise((resolve) => (child.once('message', ({ frames }) => resolve(frames)), child.send('count')))
  const waitFrames = async (child, target) => {
    for (;;) {
      if ((await count(child)) >= target) return
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  }

  const cases = []
  for (const protocol of PROTOCOLS) {
    for (const workers of WORKERS) {
      // The receivers send nothing once joined: no idle or liveness limit may end them meanwhile.
      const server = await startServer({ authTimeout: 120_000, idleTimeout: 3_600_000, heartbeat: 3_600_000, workers })
      const child = await receivers(server.url, protocol === 'v2' ? 'v2' : 'encrypted')
      while (server.roomMembers('room').length < COUNT) await new Promise((resolve) => setTimeout(resolve, 20))
      cases.push({ protocol, workers, server, child, rates: [] })
    }
  }
  const plainServer = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise((resolve) => plainServer.once('listening', resolve))
  const plainReceivers = await receivers(`ws://127.0.0.1:${plainServer.address().port}`, 'plain')

  const data = { symbol: 'ACME', price: 101.25, at: '2026-11-24T10:00:00Z' }
  const plainRates = []
  for (let run = 0; run < RUNS; run++) {
    for (const { server, child, rates } of cases) {
      const base = await count(child)
      const start = performance.now()
      for (let i = 0; i < EVENTS; i++) await server.sendToRoom('room', 'quote', data)
      await waitFrames(child, base + EVENTS * COUNT)
      rates.push((EVENTS * COUNT * 1000) / (performance.now() - start))
    }

    const base = await count(plainReceivers)
    const start = performance.now()
    const text = JSON.stringify({ event: 'quote', data })
    for (let i = 0; i < EVENTS; i++) for (const socket of plainServer.clients) socket.send(text)
    await waitFrames(plainReceivers, base + EVENTS * COUNT)
    plainRates.push((EVENTS * COUNT * 1000) / (performance.now() - start))
  }
  const plain = median(plainRates)
  console.log(`One event to a room of ${COUNT} connections, ${EVENTS} events (Node ${process.version}, medians of ${RUNS} runs)`)
  console.table([
    ...cases.map(({ protocol, workers, rates }) => ({
      what: `encrypted (${protocol}), once per recipient, workers: ${workers}`,
      'deliveries/s': fmt(median(rates)),
      '÷ plain': (median(rates) / plain).toFixed(2),
      'per-run ÷ plain': rates.map((rate, run) => (rate / plainRates[run]).toFixed(2)).join(' '),
    })),
    { what: 'plain ws broadcast of the JSON', 'deliveries/s': fmt(plain) },
  ])
  console.log('target ≥ 0.6× (issue 20)')
  for (const { child } of cases) child.send('stop')
  plainReceivers.send('stop')
  plainServer.close()
  await Promise.all(cases.map(({ server }) => server.close({ timeout: 200 })))
  process.exit(0)
}

/**
 * A raw v2 receiver: welcome, hello, record #0 `auth`, the `ready`, then record #1 `join`. What
 * follows is only counted, never opened (the receivers must not be what is measured).
 */
async function joinV2(socket, welcomeFrame, core, ecdhInfo, jwt) {
  const welcomeText = await welcomeFrame
  const welcome = core.parseWelcome(welcomeText)
  const keys = await core.createEphemeralKeys()
  const recordKeys = await core.clientRecordKeys(keys.privateKey, keys.publicKey, welcomeText, welcome.serverPublicKey, welcome.salt, ecdhInfo)
  const record = async (n, message) =>
    socket.send(Buffer.from(await core.sealRecord(recordKeys.c2s, n, core.encodeRecordPlaintext(JSON.stringify(message)))), { binary: true })
  const ready = new Promise((resolve) => socket.once('message', resolve))
  socket.send(core.encodeHello(keys.publicKey))
  await record(0, { t: 'auth', token: jwt })
  await ready
  await record(1, { t: 'join', room: 'room' })
}
