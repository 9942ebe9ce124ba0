import { describe, expect, it } from 'vitest'
import { startFaultProxy } from './faultProxy'
import { client, onCleanup, startServer, token, until } from './helpers'
import { useSourceSealWorker } from './sealWorkerBuild'

useSourceSealWorker()

const COUNT = 600
const CUTS = new Set([97, 211, 305, 401, 503])

describe('workers: v2 resume', () => {
  it(`room messages sealed in workers and user messages, ${COUNT} pipelined, the connection cut ${CUTS.size} times just after a room fan-out: each delivered once, in order, no gap`, async () => {
    const server = await startServer({ workers: 2, roomHistory: { count: 2 * COUNT } })
    const proxy = await startFaultProxy(server.url)
    onCleanup(() => proxy.stop())
    const c = client(proxy.url, {
      protocol: 'v2',
      token: await token('ana'),
      autoJoinRooms: ['r'],
      reconnect: { interval: 1, maxInterval: 5, maxRetries: 1000 },
    })
    const delivered: number[] = []
    const gaps: unknown[] = []
    let authenticated = 0
    c.on('fill', (data) => delivered.push((data as { i: number }).i))
    c.onLifecycle('gap', (gap) => gaps.push(gap))
    c.onLifecycle('authenticated', () => authenticated++)
    await c.connect()
    await until(() => server.roomMembers('r').length === 1)
    for (let i = 1; i <= COUNT; i++) {
      // Odd: the room's stream, sealed in a worker; even: the session stream, sealed here.
      if (i % 2 === 1) await server.sendToRoom('r', 'fill', { i })
      else void server.sendToUser('ana', 'fill', { i })
      if (!CUTS.has(i)) continue
      // Only microtasks ran since the fan-out: its records are still in the workers.
      const before = authenticated
      proxy.cut()
      await until(() => authenticated > before && server.roomMembers('r').length === 1, 15_000)
    }
    await until(() => delivered.length >= COUNT, 15_000)
    const odd = Array.from({ length: COUNT / 2 }, (_, k) => 2 * k + 1)
    expect(delivered.filter((i) => i % 2 === 1)).toEqual(odd)
    expect(delivered.filter((i) => i % 2 === 0)).toEqual(odd.map((i) => i + 1))
    expect(delivered).toHaveLength(COUNT)
    expect(gaps).toEqual([])
    expect(c.getSnapshot().resumed).toBe(true)
    expect(server.stats().resumes).toBeGreaterThanOrEqual(CUTS.size)
    expect(server.sealWorkers!.sealedThere).toBeGreaterThan(0)
  }, 120_000)
})
