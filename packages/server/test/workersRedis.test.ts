import type { EncryptedWebSocketClient } from '@encrypted-socket/core'
import { describe, expect, it } from 'vitest'
import { client, onCleanup, startServer, token, until } from './helpers'
import { startRedis } from './redisServer'
import { useSourceSealWorker } from './sealWorkerBuild'

useSourceSealWorker()

const COUNT = 200

describe('workers: room messages delivered from Redis', () => {
  it.each([true, false])(
    'sharedDelivery %s: room messages published on one instance are sealed in the other’s workers and reach its v1 and v2 clients in order, beside its direct sends',
    async (shared) => {
      const redis = await startRedis()
      onCleanup(() => redis.stop())
      const secret = 'a-redis-secret-of-at-least-32-bytes!!'
      const options = { redis: { url: redis.url, secret, sharedDelivery: shared }, workers: 1 }
      const [a, b] = await Promise.all([startServer(options), startServer(options)])
      await until(() => a.redisReady === true && b.redisReady === true)
      const members = await Promise.all(
        (['v1', 'v2'] as const).map(async (protocol) => {
          const c: EncryptedWebSocketClient = client(b.url, {
            protocol,
            token: await token(protocol),
            autoJoinRooms: ['desk'],
          })
          const got: string[] = []
          let done = () => {}
          const all = new Promise<void>((resolve) => (done = resolve))
          c.on('m', (data) => {
            got.push(String((data as { k: string }).k))
            if (got.length === 2 * COUNT) done()
          })
          await c.connect()
          return { got, all }
        }),
      )
      await until(() => b.roomMembers('desk').length === 2)
      const ids = b.connections().map((connection) => connection.id)
      // Room messages from `a` reach `b` through Redis while `b` sends to its members directly.
      for (let k = 0; k < COUNT; k++) void a.sendToRoom('desk', 'm', { k: `room ${k}` })
      for (let k = 0; k < COUNT; k++) {
        for (const id of ids) void b.sendTo(id, 'm', { k: `direct ${k}` })
        await new Promise((resolve) => setImmediate(resolve))
      }
      await Promise.all(members.map(({ all }) => all))
      for (const { got } of members) {
        expect(got.filter((text) => text.startsWith('room'))).toEqual(
          Array.from({ length: COUNT }, (_, k) => `room ${k}`),
        )
        expect(got.filter((text) => text.startsWith('direct'))).toEqual(
          Array.from({ length: COUNT }, (_, k) => `direct ${k}`),
        )
      }
      expect(b.sealWorkers!.sealedThere).toBe(2 * COUNT)
    },
  )
})
