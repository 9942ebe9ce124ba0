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

  const server = await startServer({ authTimeout: 120_000 })
  const encryptedReceivers = await receivers(server.url, 'encrypted')
  while (server.roomMembers('room').length < COUNT) await new Promise((resolve) => setTimeout(resolve, 20))
  const plainServer = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise((resolve) => plainServer.once('listening', resolve))
  const plainReceivers = await receivers(`ws://127.0.0.1:${plainServer.address().port}`, 'plain')

  const data = { symbol: 'ACME', price: 101.25, at: '2026-11-24T10:00:00Z' }
  const rates = { encrypted: [], plain: [] }
  for (let run = 0; run < RUNS; run++) {
    let base = await count(encryptedReceivers)
    let start = performance.now()
    for (let i = 0; i < EVENTS; i++) await server.sendToRoom('room', 'quote', data)
    await waitFrames(encryptedReceivers, base + EVENTS * COUNT)
    rates.encrypted.push((EVENTS * COUNT * 1000) / (performance.now() - start))

    base = await count(plainReceivers)
    start = performance.now()
    const text = JSON.stringify({ event: 'quote', data })
    for (let i = 0; i < EVENTS; i++) for (const socket of plainServer.clients) socket.send(text)
    await waitFrames(plainReceivers, base + EVENTS * COUNT)
    rates.plain.push((EVENTS * COUNT * 1000) / (performance.now() - start))
  }
  const ratio = median(rates.encrypted) / median(rates.plain)
  console.log(`One event to a room of ${COUNT} connections, ${EVENTS} events (Node ${process.version}, medians of ${RUNS} runs)`)
  console.table([
    { what: 'encrypted, once per recipient', 'deliveries/s': fmt(median(rates.encrypted)) },
    { what: 'plain ws broadcast of the JSON', 'deliveries/s': fmt(median(rates.plain)) },
  ])
  console.log(`ratio ${ratio.toFixed(2)}× (target ≥ 0.5×)`)
  encryptedReceivers.send('stop')
  plainReceivers.send('stop')
  plainServer.close()
  await server.close({ timeout: 200 })
  process.exit(0)
}
