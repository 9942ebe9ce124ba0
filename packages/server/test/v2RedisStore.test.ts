import { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { SESSION_PUSH } from '../src/delivery/redisScripts'
import { onCleanup, startServer, token, until } from './helpers'
import { startRedis } from './redisServer'
import { v2Peer, type Received } from './v2Peer'

const SECRET = 'a-redis-secret-of-at-least-32-bytes!!'

async function readyPeer(
  url: string,
  user = 'ana',
  resume?: Parameters<ReturnType<typeof v2Peer>['handshake']>[1],
) {
  const peer = v2Peer(url)
  const ready = await peer.handshake(await token(user), resume)
  expect(ready).toMatchObject({ t: 'ready' })
  return Object.assign(peer, { ready: ready as Received & { session: string; seq: number } })
}

describe('v2 delivery state in Redis', () => {
  it('hands a session to the instance it resumes on: the old holder forgets it, and its late writes are refused', async () => {
    const redis = await startRedis()
    onCleanup(() => redis.stop())
    const inspector = new Redis(redis.url)
    onCleanup(() => inspector.disconnect())
    const [a, b] = await Promise.all([
      startServer({ redis: { url: redis.url, secret: SECRET } }),
      startServer({ redis: { url: redis.url, secret: SECRET } }),
    ])
    await until(() => a.redisReady === true && b.redisReady === true)
    const first = await readyPeer(a.url)
    await a.sendToUser('ana', 'hello', 1)
    expect(await first.expect('msg')).toMatchObject({ seq: 1, data: 1 })
    const key = `encrypted-socket:session:${first.ready.session}`
    first.socket.terminate()
    await until(() => a.connections().length === 0)
    expect(a.stats()).toMatchObject({ sessions: 1, sessionsWaiting: 1 })

    // Resumed on B while A is alive: A releases it (and no longer holds it), B claims it (generation 2).
    const second = await readyPeer(b.url, 'ana', { session: first.ready.session, seq: 1, rooms: {} })
    expect(second.ready).toMatchObject({ resumed: true, session: first.ready.session })
    expect(await inspector.hmget(key, 'gen', 'owner', 'lastSeq')).toEqual(['2', expect.any(String), '1'])
    await until(() => a.stats().sessions === 0)
    expect(b.stats()).toMatchObject({ sessions: 1, resumes: 1 })

    // A write made under the old generation (a holder that was slow to release) changes nothing.
    const stream = `${key}:stream`
    const refused = await inspector.eval(SESSION_PUSH, 3, key, stream, `${key}:rooms`, '1', 2, '2:x', 10)
    expect(refused).toBe(0)
    expect(await inspector.hget(key, 'lastSeq')).toBe('1')
    // Sends to the user now go on through B, numbered after what A sent.
    await a.sendToUser('ana', 'again', 2)
    expect(await second.expect('msg')).toMatchObject({ seq: 2, data: 2 })
    expect(await inspector.hget(key, 'lastSeq')).toBe('2')
  })

  it('a graceful shutdown hands the sessions over: the client resumes on another instance, its unacknowledged messages replayed', async () => {
    const redis = await startRedis()
    onCleanup(() => redis.stop())
    const processed: unknown[] = []
    const options = {
      redis: { url: redis.url, secret: SECRET },
      onEvent: (_context: unknown, _event: string, data: unknown) => void processed.push(data),
    }
    const [a, b] = await Promise.all([startServer(options), startServer(options)])
    await until(() => a.redisReady === true && b.redisReady === true)
    const first = await readyPeer(a.url)
    await first.record({ t: 'msg', seq: 1, event: 'c', data: 'one' })
    expect(await first.expect('ack')).toMatchObject({ seq: 1 })
    await a.sendToUser('ana', 's', 1)
    await a.sendToUser('ana', 's', 2)
    expect(await first.expect('msg')).toMatchObject({ seq: 1 })
    expect(await first.expect('msg')).toMatchObject({ seq: 2 })
    await a.close() // 1001 to every client; their sessions wait, in Redis
    expect((await first.closed).code).toBe(1001)

    const second = await readyPeer(b.url, 'ana', { session: first.ready.session, seq: 1, rooms: {} })
    expect(second.ready).toMatchObject({ resumed: true, seq: 1 })
    expect(await second.expect('msg')).toMatchObject({ seq: 2, data: 2 }) // not acknowledged before the close
    await second.record({ t: 'msg', seq: 2, event: 'c', data: 'two' })
    expect(await second.expect('ack')).toMatchObject({ seq: 2 })
    expect(processed).toEqual(['one', 'two'])
  })

  it(
    'while Redis is down: room messages numbered and delivered locally, keys and resumes local',
    { timeout: 20_000 },
    async () => {
      const redis = await startRedis()
      onCleanup(() => redis.stop())
      let calls = 0
      const server = await startServer({
        redis: { url: redis.url, secret: SECRET },
        onEvent: () => ++calls,
      })
      await until(() => server.redisReady === true)
      const peer = await readyPeer(server.url)
      await peer.record({ t: 'join', room: 'r' })
      const joined = await peer.expect('joined')
      await server.sendToRoom('r', 'shared', 1)
      expect(await peer.expect('msg')).toMatchObject({ room: 'r', seq: 1, data: 1 })

      await redis.stop()
      await until(() => server.redisReady === false, 5000)
      expect(await server.sendToRoom('r', 'local', 2)).toBe(1)
      const local = await peer.expect('msg')
      expect(local).toMatchObject({ room: 'r', seq: 1, data: 2 }) // this instance's own stream
      await peer.record({ t: 'msg', seq: 1, id: 1, event: 'pay', data: 1, key: 'k' })
      expect(await peer.expect('res')).toMatchObject({ id: 1, data: 1 })
      await peer.record({ t: 'msg', seq: 2, id: 2, event: 'pay', data: 1, key: 'k' })
      expect(await peer.expect('res')).toMatchObject({ id: 2, data: 1 }) // the first answer
      expect(calls).toBe(1)

      peer.socket.terminate()
      await until(() => server.connections().length === 0)
      const again = await readyPeer(server.url, 'ana', {
        session: peer.ready.session,
        seq: 2,
        rooms: { r: { epoch: joined!['epoch'] as string, seq: 1 } },
      })
      expect(again.ready).toMatchObject({ resumed: true, seq: 2 })
      // The room's stream is this instance's own while Redis is away: another epoch, not recovered.
      expect((again.ready['rooms'] as Record<string, { recovered: boolean }>)['r']).toMatchObject({
        recovered: false,
      })
    },
  )
})
