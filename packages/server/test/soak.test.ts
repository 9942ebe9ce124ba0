import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { client, startServer, token, until } from './helpers'

// `pnpm soak` runs 1,000 cycles; `npm test` a short version.
const CYCLES = Number(process.env.SOAK_CYCLES ?? 40)
const PER_CYCLE = 5

setFlagsFromString('--expose_gc')
const gc = runInNewContext('gc') as () => void
const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length

/**
 * The server sees a close a moment before the client's socket clears its own close timer. Polls
 * with setImmediate, because a polling timer (as in `until`) would count itself.
 */
async function timersSettle(baseline: number): Promise<void> {
  const deadline = Date.now() + 5000
  while (timers() > baseline && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve))
}

describe('soak: connect → traffic → abrupt drop → reconnect', () => {
  it(
    `${CYCLES} cycles leave no socket, timer or listener behind, and deliver every message once, in order`,
    { timeout: 600_000 },
    async () => {
      const server = await startServer({ demo: true })
      const baselineTimers = timers()
      const c = client(server.url, {
        token: await token('soak'),
        reconnect: { interval: 1, jitter: 'none', maxRetries: Infinity },
      })
      const replies: number[] = []
      const stop = c.on('echo.reply', (n) => replies.push(n as number))
      await c.connect()
      gc()
      const heapBefore = process.memoryUsage().heapUsed
      let next = 0
      for (let cycle = 0; cycle < CYCLES; cycle++) {
        await until(() => c.isConnected(), 5000)
        for (let i = 0; i < PER_CYCLE; i++) void c.send('echo', next++)
        await until(() => replies.length === next, 5000)
        const id = c.getClientId()!
        server.disconnect(id) // the server cuts it: the client sees an unexpected close
        await until(() => !c.isConnected() || c.getClientId() !== id, 5000)
      }
      await until(() => c.isConnected(), 5000)
      gc()
      const heapGrowth = process.memoryUsage().heapUsed - heapBefore
      stop()
      c.destroy()
      await until(() => server.connections().length === 0, 5000)
      await timersSettle(baselineTimers)
      expect(replies).toEqual(Array.from({ length: next }, (_, i) => i))
      expect(timers()).toBeLessThanOrEqual(baselineTimers)
      // Bounded: not proportional to the number of cycles (a leak of a socket or closure per cycle
      // would grow by tens of KiB each).
      expect(heapGrowth).toBeLessThan(8 * 1024 * 1024)
      if (process.env.SOAK_CYCLES) {
        console.log(
          `soak: ${CYCLES} cycles, ${next} messages delivered once in order, heap growth ${(heapGrowth / 1024).toFixed(0)} KiB, timers ${timers()} (baseline ${baselineTimers})`,
        )
      }
    },
  )
})
