import { describe, expect, it } from 'vitest'
import { startFaultProxy } from './faultProxy'
import { range, seededRandom } from './seededRandom'
import { onCleanup, startServer, token, until } from './helpers'
import { startRedis } from './redisServer'
import { sessionClient } from './v2SessionClient'

const COUNT = 1000
const CUTS = 20

describe('v2 resume under cuts, across two instances sharing Redis', () => {
  it(`${COUNT} messages each way, ${CUTS} cuts, each reconnect to a random instance: each processed once, in order, each delivered once, in order, room seqs once`, async () => {
    const seed = Date.now()
    const next = seededRandom(seed)
    const processed: unknown[] = []
    const redis = await startRedis()
    onCleanup(() => redis.stop())
    const servers = await Promise.all(
      [0, 1].map(() =>
        startServer({
          redis: { url: redis.url, secret: 'a-redis-secret-of-at-least-32-bytes!!', sharedDelivery: true },
          rateLimit: { perSecond: 1_000_000, burst: 1_000_000 },
          // Every third message is still being handled for a moment (a resume must wait for it).
          onEvent: async (_context, _event, data) => {
            if ((data as number) % 3 === 0) await new Promise((resolve) => setImmediate(resolve))
            processed.push(data)
          },
        }),
      ),
    )
    await until(() => servers.every((server) => server.redisReady === true))
    const proxies = await Promise.all(servers.map((server) => startFaultProxy(server.url)))
    for (const proxy of proxies) onCleanup(() => proxy.stop())
    const pick = <T>(list: T[]): T => list[Math.floor(next() * list.length)]!
    const landed: number[] = []
    const client = sessionClient(
      () => {
        const index = Math.floor(next() * 2)
        landed.push(index)
        return proxies[index]!.url
      },
      await token('ana'),
    )
    expect(await client.connect()).toMatchObject({ resumed: false })
    await client.join('r')

    let orphans = 0
    const cuts = new Set<number>()
    while (cuts.size < CUTS) cuts.add(1 + Math.floor(next() * (COUNT - 1)))
    const sendAll = async (i: number) => {
      await client.send('c', i)
      await pick(servers).sendToUser('ana', 's', i)
      await pick(servers).sendToRoom('r', 'room', i)
    }
    for (let i = 1; i <= COUNT; i++) {
      await sendAll(i)
      if (!cuts.has(i)) continue
      // Half the time the server hears of it (a close), half the time not (its connection still
      // looks open when the client resumes, and is superseded, on whichever instance holds it).
      const lost = client.peer
      const orphaned = next() < 0.5
      for (const proxy of proxies) {
        if (orphaned) proxy.orphan()
        else proxy.cut()
      }
      orphans += orphaned ? 1 : 0
      await lost.closed
      // A few more each way while the client is away: they wait for the resume.
      const away = Math.floor(next() * 4)
      for (let j = 1; j <= away && i < COUNT; j++) await sendAll(++i)
      while (!(await client.connect())) {
        /* lost again before ready: try again */
      }
    }
    await until(
      () =>
        processed.length >= COUNT &&
        client.received.length >= COUNT &&
        (client.roomReceived.get('r')?.length ?? 0) >= COUNT,
      30_000,
    )

    const context = `seed ${seed}, cuts ${[...cuts].sort((a, b) => a - b).join(',')}, instances ${landed.join('')}`
    const total = (name: 'resumes' | 'resumesRefused' | 'superseded') =>
      servers.reduce((sum, server) => sum + server.stats()[name], 0)
    expect(client.problems, context).toEqual([])
    expect(processed, context).toEqual(range(COUNT))
    expect(client.received, context).toEqual(range(COUNT))
    expect(client.roomReceived.get('r'), context).toEqual(range(COUNT))
    expect(
      client.readies.slice(1).every((ready) => ready.resumed),
      context,
    ).toBe(true)
    expect(total('resumes'), context).toBe(client.readies.length - 1)
    expect(total('resumesRefused'), context).toBe(0)
    expect(total('superseded'), context).toBe(orphans)
    // Both instances served the session at some point.
    expect(new Set(landed).size, context).toBe(2)
  }, 120_000)
})
