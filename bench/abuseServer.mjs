// The server under attack (abuse.mjs), in its own process: its memory and CPU are its own, and a
// crash shows as its exit. It answers `stats` requests over IPC.
import { fork } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'

if (process.argv[2] === 'child') await serve(JSON.parse(process.argv[3] ?? '{}'))

/**
 * `slowEvent`: the name of an event whose handler takes 500 ms (a handler cannot cross JSON).
 * Every other option goes to the server; the security limits keep the server's defaults.
 */
async function serve({ slowEvent, ...options }) {
  const { LIFTED_LIMITS, startServer } = await import('./lib.mjs')
  const defaultLimits = Object.fromEntries(Object.keys(LIFTED_LIMITS).map((name) => [name, undefined]))
  const logged = {}
  // Silent, but counted: the counts tell how the server refused what (`upgrade refused: address-handshake-rate`).
  const count = (message, fields) => {
    const key = fields?.reason ? `${message}: ${fields.reason}` : message
    logged[key] = (logged[key] ?? 0) + 1
  }
  let slowHandled = 0
  const server = await startServer({
    ...options,
    ...defaultLimits, // lib's startServer lifts the limits for the other benches: back to the defaults
    logger: { debug: count, info: count, warn: count, error: count },
    // Every bench client comes from 127.0.0.1: the good client names itself, so that the
    // per-address limits meant for the attacker do not refuse it.
    clientAddress: (request) => request.headers['x-bench-address'] ?? request.socket.remoteAddress,
    onEvent: slowEvent
      ? async (_context, event) => {
          if (event !== slowEvent) return
          slowHandled++
          await sleep(500)
        }
      : undefined,
  })
  process.on('message', async ({ id, type, gc, user, room }) => {
    if (type === 'stop') {
      await server.close({ timeout: 200 })
      process.exit(0)
    }
    if (gc) {
      global.gc()
      await sleep(200) // let freed memory go back
      global.gc()
    }
    process.send({
      id,
      rss: process.memoryUsage.rss(),
      heapUsed: gc ? process.memoryUsage().heapUsed : undefined,
      cpu: process.cpuUsage(),
      connections: server.connections().length,
      drops: server.drops,
      redisReady: server.redisReady,
      redisRejected: server.redisRejected,
      logged,
      slowHandled,
      user: user ? server.connections().filter((connection) => connection.userId === user) : undefined,
      roomMembers: room ? server.roomMembers(room).length : undefined,
    })
  })
  process.send({ type: 'ready', url: server.url })
}

/**
 * Forks the server (with `global.gc` for clean memory samples). Resolves once it listens, with
 * `stats(query)` (null once it is gone or when it does not answer in 5 s), `exit` (null while it
 * runs) and `stop()`.
 */
export async function startAbuseServer(options = {}) {
  const child = fork(fileURLToPath(import.meta.url), ['child', JSON.stringify(options)], {
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const waiting = new Map()
  let nextId = 0
  let exit = null
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      exit = { code, signal }
      for (const answer of waiting.values()) answer(null)
      waiting.clear()
      resolve(exit)
    }),
  )
  const ready = new Promise((resolve) => child.on('message', (message) => message.type === 'ready' && resolve(message)))
  child.on('message', (message) => {
    waiting.get(message.id)?.(message)
    waiting.delete(message.id)
  })
  const started = await Promise.race([ready, exited])
  if (!started.url) throw new Error(`bench: the server exited while starting (code ${exit.code}, signal ${exit.signal})`)
  return {
    url: started.url,
    pid: child.pid,
    get exit() {
      return exit
    },
    stats(query = {}) {
      if (exit) return Promise.resolve(null)
      const id = nextId++
      return new Promise((resolve) => {
        waiting.set(id, resolve)
        setTimeout(() => waiting.delete(id) && resolve(null), 5000).unref()
        try {
          child.send({ id, type: 'stats', ...query })
        } catch {
          waiting.delete(id)
          resolve(null)
        }
      })
    },
    async stop() {
      if (exit) return
      try {
        child.send({ type: 'stop' })
      } catch {}
      const killer = setTimeout(() => child.kill('SIGKILL'), 3000)
      await exited
      clearTimeout(killer)
    },
  }
}
