// Runs @encrypted-socket/server in its own process (as in production), for the benchmarks; and,
// as the baseline of the throughput benchmarks, a plain `ws` echo server in its own process too.
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'

if (process.argv[2] === 'child') {
  const { startServer } = await import('./lib.mjs')
  const options = JSON.parse(process.argv[3] ?? '{}')
  const server = await startServer(options)
  process.send({ url: server.url })
  process.on('message', async (message) => {
    if (message === 'stop') {
      await server.close({ timeout: 200 })
      process.exit(0)
    }
  })
}

if (process.argv[2] === 'plain-echo') {
  // Sends every message back as it came (text as text, binary as binary).
  const { WebSocketServer } = await import('ws')
  const { maxPayload } = JSON.parse(process.argv[3] ?? '{}')
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload })
  server.on('connection', (socket) => socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })))
  server.once('listening', () => process.send({ url: `ws://127.0.0.1:${server.address().port}` }))
  process.on('message', (message) => {
    if (message !== 'stop') return
    for (const client of server.clients) client.terminate()
    server.close(() => process.exit(0))
  })
}

function startChild(args) {
  const child = fork(fileURLToPath(import.meta.url), args, { stdio: 'inherit' })
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`bench: server process exited (${code}) before it listened`)))
    child.once('message', ({ url }) => {
      child.removeAllListeners('exit')
      resolve({
        url,
        pid: child.pid,
        stop: () =>
          new Promise((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done()
            child.once('exit', done)
            child.send('stop')
          }),
      })
    })
  })
}

/** Starts the server in a child process; resolves with its URL and a stop function. */
export const startServerProcess = (options = {}) => startChild(['child', JSON.stringify(options)])

/** Starts a plain `ws` echo server (the baseline) in a child process. */
export const startPlainEchoProcess = (options = {}) => startChild(['plain-echo', JSON.stringify(options)])
