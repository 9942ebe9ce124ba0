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
// The `workers` cases, each its own server and receivers, run in turn within every run (e.g. 0,1,2).
const WORKERS = (process.env.BENCH_WORKERS ?? '0').split(',').map(Number)

if (process.argv[2] === 'receivers') {
  // Connects COUNT sockets (encrypted ones authenticate and join the room) and reports frame counts.
  const { default: WebSocket } = await import('ws')
  const { createEphemeralKeys, encodeFrame } = await import('@encrypted-socket/core')
  const { token } = await import('./lib.mjs')
  const [url, mode] = process.argv.slice(3)
  let frames = 0
  const sockets = await Promise.all(
    Array.from({ length: COUNT }, async (_, i) => {
      const socket = new WebSocket(url)
      await new Promise((resolve) => socket.once('open', resolve))
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
  for (const workers of WORKERS) {
    const server = await startServer({ authTimeout: 120_000, workers })
    const child = await receivers(server.url, 'encrypted')
    while (server.roomMembers('room').length < COUNT) await new Promise((resolve) => setTimeout(resolve, 20))
    cases.push({ workers, server, child, rates: [] })
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
    ...cases.map(({ workers, rates }) => ({
      what: `encrypted, once per recipient, workers: ${workers}`,
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
