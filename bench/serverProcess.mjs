// Runs @encrypted-socket/server in its own process (as in production), for the benchmarks.
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

/** Starts the server in a child process; resolves with its URL and a stop function. */
export function startServerProcess(options = {}) {
  const child = fork(fileURLToPath(import.meta.url), ['child', JSON.stringify(options)], { stdio: 'inherit' })
  return new Promise((resolve) => {
    child.once('message', ({ url }) =>
      resolve({ url, pid: child.pid, stop: () => new Promise((done) => (child.once('exit', done), child.send('stop'))) }),
    )
  })
}
