import { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import type { ServerOptions } from '../src/options'
import { startFaultProxy } from './faultProxy'
import { onCleanup, startServer, token, until } from './helpers'
import { startRedis } from './redisServer'
import { sessionClient } from './v2SessionClient'
import { v2Peer, type Received } from './v2Peer'

const SECRET = 'a-redis-secret-of-at-least-32-bytes!!'
const PREFIX = 'encrypted-socket'
/** In every payload: it must never be found in Redis as such (everything at rest is sealed). */
const MARKER = 'plaintext-marker-7c1f'

async function sharedRedis() {
  const redis = await startRedis()
  onCleanup(() => redis.stop())
  const inspector = new Redis(redis.url)
  onCleanup(() => inspector.disconnect())
  return { url: redis.url, inspector }
}

/** Two instances sharing one Redis (sessions, keys and room streams in it), each behind a fault proxy. */
async function twoInstances(url: string, options: Partial<ServerOptions>) {
  const [a, b] = await Promise.all(
    ['a', 'b'].map((name) =>
      startServer({
        redis: { url, secret: SECRET, sharedDelivery: true },
        rateLimit: { perSecond: 1_000_000, burst: 1_000_000 },
        ...options,
        onEvent: (context, event, data) =>
          options.onEvent?.({ ...context, instance: name } as never, event, data),
      }),
    ),
  )
  await until(() => a!.redisReady === true && b!.redisReady === true)
  const [proxyA, proxyB] = await Promise.all([startFaultProxy(a!.url), startFaultProxy(b!.url)])
  onCleanup(() => proxyA.stop())
  onCleanup(() => proxyB.stop())
  return { a: a!, b: b!, proxyA, proxyB }
}

/** Every value Redis holds, as text (hashes, lists, sets, strings). */
async function everythingStored(inspector: Redis): Promise<string> {
  const parts: string[] = []
  for (const key of await inspector.keys('*')) {
    const type = await inspector.type(key)
    if (type === 'hash') parts.push(JSON.stringify(await inspector.hgetall(key)))
    else if (type === 'list') parts.push(...(await inspector.lrange(key, 0, -1)))
    else if (type === 'set') parts.push(...(await inspector.smembers(key)))
    else if (type === 'string') parts.push((await inspector.get(key)) ?? '')
  }
  return parts.join('\n')
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)

describe('v2 resume on another instance (shared delivery in Redis)', () => {
  it('survives a crash of the instance the client was on: nothing lost, nothing processed twice, room seqs once across instances', async () => {
    const { url, inspector } = await sharedRedis()
    const processed: { instance: string; data: unknown }[] = []
    let orphanOnFour = () => {}
    const { a, b, proxyA, proxyB } = await twoInstances(url, {
      roomHistory: { count: 4, maxAge: 60_000 },
      onEvent: (context, _event, data) => {
        processed.push({ instance: (context as unknown as { instance: string }).instance, data })
        // Processed on A, and its ack never reaches the client: A is gone before it would.
        if (data === 4) orphanOnFour()
      },
    })
    orphanOnFour = () => proxyA.orphan()
    let target = proxyA.url
    const client = sessionClient(() => target, await token('ana'))
    expect(await client.connect()).toMatchObject({ resumed: false })
    await client.join('r')
    const session = client.session!
    const sessionKey = `${PREFIX}:session:${session}`

    // Both ways on A: the client's 1-3 processed there; the user's and the room's messages from both instances.
    for (const i of [1, 2, 3]) await client.send('c', i)
    await a.sendToUser('ana', 's', 1)
    await b.sendToUser('ana', 's', 2)
    await a.sendToUser('ana', 's', 3)
    await a.sendToRoom('r', 'room', 1)
    await b.sendToRoom('r', 'room', 2)
    await until(
      () =>
        processed.length === 3 && client.received.length === 3 && client.roomReceived.get('r')?.length === 2,
    )
    await until(() => client.unacknowledged === 0)

    // 4 is processed on A, whose connection is then cut on the client's side only (A still holds it).
    const lost = client.peer
    await client.send('c', 4)
    await lost.closed
    await until(() => processed.length === 4)
    // Missed while away: the session stream's 4 and 5 (pushed on A), the room's 3 and 4 (from A and B).
    await a.sendToUser('ana', 's', 4)
    await b.sendToUser('ana', 's', 5)
    await a.sendToRoom('r', 'room', 3)
    await b.sendToRoom('r', 'room', { n: 4, note: MARKER })
    // A wrote all of it through to Redis…
    await vi_until(
      async () => (await inspector.hmget(sessionKey, 'lastProcessed', 'lastSeq')).join() === '4,5',
    )
    // …and dies: no close, no session ended, nothing more reaches Redis.
    a.kill()
    // The client sends 5 and 6 while away; it resumes on B.
    await client.send('c', 5)
    await client.send('c', 6)
    target = proxyB.url
    // B asks A (dead: it never answers) to release the session, on the fan-out channel…
    const spy = new Redis(url)
    onCleanup(() => spy.disconnect())
    let published = 0
    spy.on('message', () => published++)
    await spy.subscribe(`${PREFIX}:fanout`)
    const resuming = client.connect()
    await until(() => published === 1)
    // …and a message to the user meanwhile, which A will never take, is kept for the session.
    await b.sendToUser('ana', 's', 6)
    const ready = await resuming
    expect(ready).toMatchObject({ resumed: true, session, seq: 4 })
    expect((ready as Received)['rooms']).toMatchObject({ r: { seq: 4, recovered: true } })
    await until(() => processed.length === 6 && client.received.length === 6)
    await until(() => client.roomReceived.get('r')?.length === 4)

    // Room seqs continue on B: 5 (and a join with since on B recovers from the shared history).
    await b.sendToRoom('r', 'room', 5)
    await until(() => client.roomReceived.get('r')?.length === 5)
    expect(client.problems).toEqual([])
    expect(client.received).toEqual(range(1, 6))
    expect(client.roomReceived.get('r')).toEqual([1, 2, 3, { n: 4, note: MARKER }, 5])
    expect(processed).toEqual([
      { instance: 'a', data: 1 },
      { instance: 'a', data: 2 },
      { instance: 'a', data: 3 },
      { instance: 'a', data: 4 },
      { instance: 'b', data: 5 },
      { instance: 'b', data: 6 },
    ])
    expect(b.stats()).toMatchObject({ resumes: 1, resumesRefused: 0, replayed: 3 + 2 })

    const other = v2Peer(b.url)
    expect(await other.handshake(await token('ben'))).toMatchObject({ t: 'ready' })
    const { epoch } = (ready!['rooms'] as Record<string, { epoch: string }>)['r']!
    await other.record({ t: 'join', room: 'r', since: { epoch, seq: 2 } })
    expect(await other.expect('joined')).toMatchObject({ room: 'r', epoch, seq: 5, recovered: true })
    const replayed = [await other.expect('msg'), await other.expect('msg'), await other.expect('msg')]
    expect(replayed.map((m) => [m!.seq, m!.data])).toEqual([
      [3, 3],
      [4, { n: 4, note: MARKER }],
      [5, 5],
    ])
    // History holds the last 4 (2-5): from seq 0, message 1 is gone.
    await other.record({ t: 'leave', room: 'r' })
    await other.record({ t: 'join', room: 'r', since: { epoch, seq: 0 } })
    expect(await other.expect('joined')).toMatchObject({ room: 'r', seq: 5, recovered: false })

    // What sessions and room histories keep in Redis is sealed: the marker is nowhere as such.
    const stored = await everythingStored(inspector)
    expect(await inspector.exists(sessionKey)).toBe(1)
    expect(stored).toContain(':') // the room history's entries (seq:at:sealed content)
    expect(stored).not.toContain(MARKER)
    expect(stored).not.toContain('"event"')
  }, 30_000)

  it('a repeated idempotency key on another instance is answered from the first answer, not processed again', async () => {
    const { url } = await sharedRedis()
    let calls = 0
    const { a, b } = await twoInstances(url, {
      onEvent: () => {
        calls++
        return { n: calls }
      },
    })
    const first = v2Peer(a.url)
    expect(await first.handshake(await token('ana'))).toMatchObject({ t: 'ready' })
    await first.record({ t: 'msg', seq: 1, id: 1, event: 'pay', data: 1, key: 'k-1' })
    expect(await first.expect('res')).toMatchObject({ id: 1, data: { n: 1 } })
    first.socket.terminate()
    // A new session on B (no resume), the same key again.
    const second = v2Peer(b.url)
    expect(await second.handshake(await token('ana'))).toMatchObject({ t: 'ready', resumed: false })
    await second.record({ t: 'msg', seq: 1, id: 7, event: 'pay', data: 1, key: 'k-1' })
    expect(await second.expect('res')).toMatchObject({ id: 7, data: { n: 1 } })
    expect(calls).toBe(1)
    expect(b.stats().duplicatesRefused).toBe(1)
  })
})

/** Waits (polling) until an async condition holds. */
async function vi_until(condition: () => Promise<boolean>, timeout = 10_000): Promise<void> {
  const deadline = Date.now() + timeout
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
