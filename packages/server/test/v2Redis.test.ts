import { describe, expect, it } from 'vitest'
import { onCleanup, rawClient, startServer, token, until } from './helpers'
import { startRedis } from './redisServer'
import { v2Peer } from './v2Peer'

describe('v2 through Redis', () => {
  it('reaches v2 and v1 connections on another instance, binary data as binary', async () => {
    const redis = await startRedis()
    onCleanup(() => redis.stop())
    const secret = 'a-redis-secret-of-at-least-32-bytes!!'
    const [a, b] = await Promise.all([
      startServer({ redis: { url: redis.url, secret } }),
      startServer({ redis: { url: redis.url, secret } }),
    ])
    await until(() => a.redisReady === true && b.redisReady === true)
    const peer = v2Peer(b.url)
    expect(await peer.handshake(await token('zoe'))).toMatchObject({ t: 'ready' })
    await peer.record({ t: 'join', room: 'desk' })
    await peer.expect('joined')
    const old = rawClient(b.url)
    await old.authenticate(await token('yan'))
    old.socket.send(JSON.stringify({ event: 'join', data: { rooms: ['desk'] } }))
    await until(() => b.roomMembers('desk').length === 2)

    expect(await a.sendToRoom('desk', 'feed', { px: 101.25 })).toBe(0) // nobody on this instance
    expect(await peer.expect('msg')).toMatchObject({ event: 'feed', data: { px: 101.25 }, binary: false })
    expect(await old.receive()).toMatchObject({ event: 'feed', data: { px: 101.25 } })

    await a.sendToUser('zoe', 'blob', Buffer.from([1, 2, 3]))
    expect(await peer.expect('msg')).toEqual({
      t: 'msg',
      seq: 1, // on the user's session stream
      event: 'blob',
      data: new Uint8Array([1, 2, 3]),
      binary: true,
    })
    await a.broadcast('after', 1)
    expect(await peer.expect('msg')).toMatchObject({ event: 'after' })
    // The v1 client got no JSON rendering of the binary message: its next message is the broadcast.
    expect(await old.receive()).toMatchObject({ event: 'after', data: 1 })
  })
})
