import { describe, expect, it } from 'vitest'
import { Redis } from 'ioredis'
import { client, onCleanup, startServer, token, until } from './helpers'
import { hopKey, sealHop } from '../src/crypto/redisHop'
import { startRedis } from './redisServer'

async function redis(port?: number) {
  const started = await startRedis(port)
  onCleanup(() => started.stop())
  return started
}

async function chatter(url: string, user: string) {
  const c = client(url, {
    token: await token(user),
    autoJoinRooms: ['lobby'],
    reconnect: { interval: 50, jitter: 'none' },
  })
  const messages: string[] = []
  c.on('chat.message', (data) => messages.push((data as { text: string }).text))
  await c.connect()
  return { c, messages }
}

describe('scale-out through Redis', () => {
  it('delivers a room message to members on every instance, exactly once each', async () => {
    const { url } = await redis()
    const instances = await Promise.all([1, 2, 3].map(() => startServer({ demo: true, redis: url })))
    await until(() => instances.every((server) => server.redisReady === true))
    const users = await Promise.all(
      ['a', 'b', 'c', 'd', 'e', 'f'].map((user, i) => chatter(instances[i % 3]!.url, user)),
    )
    await until(() => instances.every((server) => server.roomMembers('lobby').length === 2))
    // Senders on different instances have no common order, so each message waits for the one before it.
    await users[0]!.c.send('chat.send', { room: 'lobby', text: 'one' })
    await until(() => users.every((u) => u.messages.length === 1))
    await users[4]!.c.send('chat.send', { room: 'lobby', text: 'two' })
    await until(() => users.every((u) => u.messages.length === 2))
    // A second round: anything duplicated from the first would have arrived before it.
    await users[1]!.c.send('chat.send', { room: 'lobby', text: 'three' })
    await until(() => users.every((u) => u.messages.length >= 3))
    for (const user of users) expect(user.messages).toEqual(['one', 'two', 'three'])
  })

  it('reaches a user on another instance, and broadcasts everywhere', async () => {
    const { url } = await redis()
    const [a, b] = await Promise.all([startServer({ redis: url }), startServer({ redis: url })])
    await until(() => a.redisReady === true && b.redisReady === true)
    const onB = client(b.url, { token: await token('zoe') })
    const notes: unknown[] = []
    onB.on('note', (data) => notes.push(data))
    await onB.connect()
    expect(await a.sendToUser('zoe', 'note', 'for zoe')).toBe(0) // not connected to this instance
    await a.broadcast('note', 'for all')
    await until(() => notes.length === 2)
    expect(notes).toEqual(['for zoe', 'for all'])
  })

  it('answers room presence across instances', async () => {
    const { url } = await redis()
    const [a, b] = await Promise.all([startServer({ redis: url }), startServer({ redis: url })])
    await until(() => a.redisReady === true && b.redisReady === true)
    await chatter(a.url, 'ana')
    await chatter(b.url, 'ben')
    await until(() => a.roomMembers('lobby').length === 1 && b.roomMembers('lobby').length === 1)
    await expect.poll(() => a.presence('lobby')).toEqual(['ana', 'ben'])
    expect(await b.presence('lobby')).toEqual(['ana', 'ben'])
  })

  it(
    'keeps serving local connections while Redis is down, and resumes fan-out when it returns',
    { timeout: 20_000 },
    async () => {
      const first = await redis()
      const [a, b] = await Promise.all([
        startServer({ demo: true, redis: first.url }),
        startServer({ demo: true, redis: first.url }),
      ])
      await until(() => a.redisReady === true && b.redisReady === true)
      const onA = await chatter(a.url, 'ana')
      const alsoOnA = await chatter(a.url, 'amy')
      const onB = await chatter(b.url, 'ben')
      await until(() => a.roomMembers('lobby').length === 2 && b.roomMembers('lobby').length === 1)

      await first.stop()
      await until(() => a.redisReady === false && b.redisReady === false, 3000)
      await onA.c.send('chat.send', { room: 'lobby', text: 'during the outage' })
      await until(() => alsoOnA.messages.includes('during the outage'))
      expect(onA.c.isConnected() && onB.c.isConnected()).toBe(true)

      await redis(first.port) // the same address again, empty
      await until(() => a.redisReady === true && b.redisReady === true, 5000) // ioredis backs off up to 2 s
      await onB.c.send('chat.send', { room: 'lobby', text: 'after the restart' })
      await until(
        () => onA.messages.includes('after the restart') && alsoOnA.messages.includes('after the restart'),
      )
      expect(onB.messages).toEqual(['after the restart'])
      await expect.poll(() => a.presence('lobby')).toEqual(['amy', 'ana', 'ben'])
    },
  )

  it('sends only ciphertext through Redis when given a secret', async () => {
    const { url } = await redis()
    const options = {
      demo: true,
      redis: { url, secret: 'a-shared-fanout-secret-of-32-bytes!!', keyPrefix: 'sealed' },
    }
    const [a, b] = await Promise.all([startServer(options), startServer(options)])
    const spy = new Redis(url)
    onCleanup(() => spy.disconnect())
    const seen: string[] = []
    spy.on('message', (_channel: string, text: string) => seen.push(text))
    await spy.subscribe('sealed:fanout', 'sealed:rooms') // room messages cross on their own channel
    await until(() => a.redisReady === true && b.redisReady === true)
    const sender = await chatter(a.url, 'ana')
    const receiver = await chatter(b.url, 'ben')
    await until(() => b.roomMembers('lobby').length === 1)
    await sender.c.send('chat.send', { room: 'lobby', text: 'top secret' })
    await until(() => receiver.messages.includes('top secret'))
    expect(seen.length).toBeGreaterThan(0)
    expect(seen.join('')).not.toContain('top secret')
    expect(seen.join('')).not.toContain('chat.message')
  })
})

describe('ordering through an encrypted Redis hop', () => {
  it('delivers one instance’s events in publish order even when a large one decrypts slowly', async () => {
    const { url } = await redis()
    const options = { redis: { url, secret: 'an-order-secret-of-at-least-32-bytes' } }
    const [a, b] = await Promise.all([startServer(options), startServer(options)])
    await until(() => a.redisReady === true && b.redisReady === true)
    const receiver = client(b.url, { token: await token('r') })
    const seen: number[] = []
    receiver.on('n', (data) => seen.push((data as { n: number }).n))
    await receiver.connect()
    for (let n = 0; n < 20; n++) void a.broadcast('n', { n, pad: n % 2 === 0 ? 'x'.repeat(512 * 1024) : '' })
    await until(() => seen.length === 20, 10_000)
    expect(seen).toEqual(Array.from({ length: 20 }, (_, n) => n))
  })
})

describe('Redis as an attacker writes to it', () => {
  const SECRET = 'a-shared-fanout-secret-of-32-bytes!!'

  async function pair(redisOptions: { secret?: string }) {
    const { url } = await redis()
    const options = { demo: true, redis: { url, keyPrefix: 'app', ...redisOptions } }
    const [a, b] = await Promise.all([startServer(options), startServer(options)])
    await until(() => a.redisReady === true && b.redisReady === true)
    const writer = new Redis(url)
    onCleanup(() => writer.disconnect())
    const sender = await chatter(a.url, 'ana')
    const receiver = await chatter(b.url, 'ben')
    await until(() => b.roomMembers('lobby').length === 1)
    return { url, a, b, writer, sender, receiver }
  }

  it('survives junk on the fan-out channel, counts it, and keeps delivering', async () => {
    const { a, b, writer, sender, receiver } = await pair({})
    const junk = [
      '1',
      'null',
      '{}',
      '[]',
      '"text"',
      `${'['.repeat(5000)}${']'.repeat(5000)}`,
      JSON.stringify({ origin: 'x', seq: 0, time: Date.now(), event: 'e', target: null }),
      JSON.stringify({ origin: 'x', seq: 0, time: Date.now(), event: 'e', target: { kind: 'room' } }),
      JSON.stringify({ origin: 'x', seq: -1, time: Date.now(), event: 'e', target: { kind: 'all' } }),
      JSON.stringify({ target: { kind: 'all' }, event: 'chat.message', data: {}, origin: 'x' }), // the old format
    ]
    for (const text of junk) await writer.publish('app:fanout', text)
    await sender.c.send('chat.send', { room: 'lobby', text: 'after the junk' })
    await until(() => receiver.messages.includes('after the junk'))
    expect(receiver.messages).toEqual(['after the junk'])
    // b handled the junk before the message that followed it; a may still be at it.
    expect(b.redisRejected!.invalid).toBe(junk.length)
    await until(() => a.redisRejected!.invalid === junk.length)
    expect(b.logger.lines.some((line) => line.includes('dropped fan-out messages from redis'))).toBe(true)
  })

  it('warns at startup when Redis carries plaintext (no secret)', async () => {
    const { a } = await pair({})
    expect(a.logger.lines.some((line) => line.includes('redis without a secret'))).toBe(true)
  })

  it('with a secret: drops replayed, stale and unsealed envelopes, delivering each message once', async () => {
    const { url, b, writer, sender, receiver } = await pair({ secret: SECRET })
    const spy = new Redis(url)
    onCleanup(() => spy.disconnect())
    const captured: [string, string][] = []
    spy.on('message', (channel: string, text: string) => captured.push([channel, text]))
    // Room messages cross on their own channel (numbered and published by Redis), sealed alike.
    await spy.subscribe('app:fanout', 'app:rooms')
    await sender.c.send('chat.send', { room: 'lobby', text: 'approve transfer' })
    await until(() => receiver.messages.length === 1 && captured.length >= 1)
    const envelopes = [...captured] // the spy sees the replays too
    for (let i = 0; i < 3; i++) for (const [channel, text] of envelopes) await writer.publish(channel, text)

    const stale = JSON.stringify({
      origin: 'old-instance',
      seq: 0,
      time: Date.now() - 60_000,
      event: 'chat.message',
      target: { kind: 'all' },
      data: { text: 'stale' },
    })
    await writer.publish('app:fanout', sealHop(hopKey(SECRET), stale, 'app:fanout'))
    await writer.publish('app:fanout', JSON.stringify({ ...JSON.parse(stale), time: Date.now() })) // unsealed
    await sender.c.send('chat.send', { room: 'lobby', text: 'next' })
    await until(() => receiver.messages.includes('next'))
    expect(receiver.messages).toEqual(['approve transfer', 'next'])
    expect(b.redisRejected).toMatchObject({ replayed: 3 * envelopes.length, stale: 1, unreadable: 1 })
  })
})
