import { describe, expect, it } from 'vitest'
import { client, onCleanup, startServer, token, until } from './helpers'
import { startRedis } from './redisServer'
import { sessionClient } from './v2SessionClient'

const REDIS_SECRET = 'a-redis-secret-of-at-least-32-bytes!!'

/** The real core client, reconnecting at once on anything it retries; records its errors. */
async function user(url: string, userId: string, protocol: 'v1' | 'v2') {
  const c = client(url, {
    protocol,
    token: await token(userId),
    reconnect: { interval: 10, jitter: 'none', maxRetries: 100 },
  })
  const errors: { code: string; closeCode: number | undefined; message: string }[] = []
  c.onLifecycle('error', (error) =>
    errors.push({ code: error.code, closeCode: error.closeCode, message: error.message }),
  )
  await c.connect()
  return { c, errors }
}

/** Closed with 4401 and not retried: the client stays disconnected. */
async function revoked({ c, errors }: Awaited<ReturnType<typeof user>>) {
  await until(() => errors.some((error) => error.closeCode === 4401) && c.getState() === 'disconnected')
  expect(c.getSnapshot().lastError).toMatchObject({ closeCode: 4401 })
}

describe('disconnectUser()', () => {
  it("closes every connection of the user (v2 and v1) with 4401, not retried, drops their sessions, and leaves others'", async () => {
    const server = await startServer({ demo: true })
    const anaV2 = await user(server.url, 'ana', 'v2')
    const anaV1 = await user(server.url, 'ana', 'v1')
    const ben = await user(server.url, 'ben', 'v2')
    const raw = sessionClient(server.url, await token('ana'))
    expect(await raw.connect()).toMatchObject({ resumed: false })

    expect(await server.disconnectUser('ana', 'account suspended')).toBe(3)
    await revoked(anaV2)
    await revoked(anaV1)
    expect(anaV2.errors.map((error) => error.message).join('\n')).toContain('TOKEN_REFUSED')
    expect(await raw.peer.closed).toMatchObject({ code: 4401 })
    expect(server.connections().map((c) => c.userId)).toEqual(['ben'])

    // The session is gone: the same (still valid) token gets a new one, not a resume.
    expect(await raw.connect()).toMatchObject({ resumed: false })
    expect(raw.problems).toEqual([expect.stringMatching(/^resume refused/)])

    // ben was not touched.
    const replies: unknown[] = []
    ben.c.on('echo.reply', (data) => replies.push(data))
    await ben.c.send('echo', 'still here')
    await until(() => replies.length === 1)
    expect(ben.errors).toEqual([])
  })

  it('reaches the other instances through Redis: their connections and waiting sessions of the user', async () => {
    const redis = await startRedis()
    onCleanup(() => redis.stop())
    const [a, b] = await Promise.all(
      ['a', 'b'].map(() =>
        startServer({ redis: { url: redis.url, secret: REDIS_SECRET, sharedDelivery: true } }),
      ),
    )
    await until(() => a!.redisReady === true && b!.redisReady === true)
    const onA = await user(a!.url, 'ana', 'v2')
    const onB = await user(b!.url, 'ana', 'v2')
    const benOnB = await user(b!.url, 'ben', 'v2')
    // A session of ana waiting for its resume on B: its connection was lost.
    let target = b!.url
    const waiting = sessionClient(() => target, await token('ana'))
    await waiting.connect()
    waiting.peer.socket.terminate()
    await waiting.peer.closed
    await until(() => b!.stats().sessionsWaiting === 1)

    expect(await a!.disconnectUser('ana')).toBe(1)
    await revoked(onA)
    await revoked(onB)
    await until(() => b!.stats().sessionsWaiting === 0)
    expect(b!.connections().map((c) => c.userId)).toEqual(['ben'])
    expect([benOnB.c.getState(), benOnB.errors]).toEqual(['authenticated', []])

    // Neither instance resumes the dropped session.
    target = a!.url
    expect(await waiting.connect()).toMatchObject({ resumed: false })
    expect(waiting.problems).toEqual([expect.stringMatching(/^resume refused/)])
  })
})
