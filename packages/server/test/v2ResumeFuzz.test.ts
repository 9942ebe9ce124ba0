import { describe, expect, it } from 'vitest'
import { startFaultProxy } from './faultProxy'
import { range, seededRandom } from './seededRandom'
import { onCleanup, startServer, token, until } from './helpers'
import { sessionClient } from './v2SessionClient'

const COUNT = 1000
const CUTS = 20

describe('v2 resume under cuts', () => {
  it(`${COUNT} messages each way, the TCP stream cut at ${CUTS} random points and resumed each time: each processed once, in order, and each delivered once, in order`, async () => {
    const seed = Date.now()
    const next = seededRandom(seed)
    const processed: unknown[] = []
    const server = await startServer({
      rateLimit: { perSecond: 1_000_000, burst: 1_000_000 },
      // Every third message is still being handled for a moment (a resume must wait for it).
      onEvent: async (_context, _event, data) => {
        if ((data as number) % 3 === 0) await new Promise((resolve) => setImmediate(resolve))
        processed.push(data)
      },
    })
    const proxy = await startFaultProxy(server.url)
    onCleanup(() => proxy.stop())
    const client = sessionClient(proxy.url, await token('ana'))
    expect(await client.connect()).toMatchObject({ resumed: false })
    await client.join('r')

    let orphans = 0
    const cuts = new Set<number>()
    while (cuts.size < CUTS) cuts.add(1 + Math.floor(next() * (COUNT - 1)))
    for (let i = 1; i <= COUNT; i++) {
      await client.send('c', i)
      await server.sendToUser('ana', 's', i)
      await server.sendToRoom('r', 'room', i)
      if (!cuts.has(i)) continue
      // Half the time the server hears of it (a close), half the time not (its connection still
      // looks open when the client resumes, and is superseded).
      const lost = client.peer
      const orphaned = next() < 0.5
      if (orphaned) proxy.orphan()
      else proxy.cut()
      orphans += orphaned ? 1 : 0
      await lost.closed
      // A few more each way while the client is away: they wait for the resume.
      const away = Math.floor(next() * 4)
      for (let j = 1; j <= away && i < COUNT; j++) {
        i++
        await client.send('c', i)
        await server.sendToUser('ana', 's', i)
        await server.sendToRoom('r', 'room', i)
      }
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

    const context = `seed ${seed}, cuts ${[...cuts].sort((a, b) => a - b).join(',')}`
    expect(client.problems, context).toEqual([])
    expect(processed, context).toEqual(range(COUNT))
    expect(client.received, context).toEqual(range(COUNT))
    expect(client.roomReceived.get('r'), context).toEqual(range(COUNT))
    expect(
      client.readies.slice(1).every((ready) => ready.resumed),
      context,
    ).toBe(true)
    expect(server.stats().resumes, context).toBe(client.readies.length - 1)
    expect(server.stats().resumesRefused, context).toBe(0)
    expect(server.stats().superseded, context).toBe(orphans)
  }, 90_000)
})
