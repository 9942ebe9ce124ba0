import { describe, expect, it } from 'vitest'
import { client, startServer, token, until } from './helpers'
import { v2Peer } from './v2Peer'

// The real core client over protocol v2 against this server (the other tests drive v2 by hand,
// and run this client over v1).
const v2 = { protocol: 'v2' } as const

describe('the core client over v2', () => {
  it('connects over v2 and round-trips JSON and binary payloads in order', async () => {
    const server = await startServer({ demo: true })
    const c = client(server.url, { ...v2, token: await token('ana') })
    const replies: unknown[] = []
    c.on('echo.reply', (data) => replies.push(data))
    await c.connect()
    expect(c.getSnapshot().protocol).toBe('v2')
    expect(c.getUserId()).toBe('ana')
    expect(server.connections()[0]).toMatchObject({ protocol: 2, userId: 'ana' })
    for (let i = 0; i < 20; i++) await c.send('echo', { i })
    await c.send('echo', new Uint8Array([1, 2, 3]))
    await until(() => replies.length === 21)
    expect(replies.slice(0, 20)).toEqual(Array.from({ length: 20 }, (_, i) => ({ i })))
    expect(replies[20]).toEqual(new Uint8Array([1, 2, 3]))
  })

  it("'auto' speaks v2 with this server; v1 and v2 clients share a room", async () => {
    const server = await startServer({ demo: true })
    const chatters = await Promise.all(
      (['auto', 'v1', 'v2'] as const).map(async (protocol, i) => {
        const c = client(server.url, { protocol, token: await token(`u${i}`), autoJoinRooms: ['lobby'] })
        const messages: string[] = []
        c.on('chat.message', (data) => messages.push((data as { text: string }).text))
        await c.connect()
        return { c, messages }
      }),
    )
    expect(chatters.map(({ c }) => c.getSnapshot().protocol)).toEqual(['v2', 'v1', 'v2'])
    await until(() => server.roomMembers('lobby').length === 3)
    await chatters[1]!.c.send('chat.send', { room: 'lobby', text: 'from v1' })
    await until(() => chatters.every(({ messages }) => messages.length === 1))
    await chatters[2]!.c.send('chat.send', { room: 'lobby', text: 'from v2' })
    await until(() => chatters.every(({ messages }) => messages.length === 2))
    for (const { messages } of chatters) expect(messages).toEqual(['from v1', 'from v2'])
  })

  it('retries an expired token once with getToken, and is refused a bad one', async () => {
    const server = await startServer()
    let calls = 0
    const expired = await token('ana', { expiresIn: Math.floor(Date.now() / 1000) - 60 })
    const fresh = await token('ana')
    const c = client(server.url, {
      ...v2,
      getToken: () => (calls++ === 0 ? expired : fresh),
      reconnect: { interval: 10, jitter: 'none' },
    })
    await c.connect()
    expect(calls).toBe(2)
    expect(c.getUserId()).toBe('ana')

    const refused = client(server.url, { ...v2, token: await token('ana', { secret: 'x'.repeat(40) }) })
    await expect(refused.connect()).rejects.toMatchObject({ code: 'ERR_REJECTED', closeCode: 1008 })
  })

  it('with requireV2, connects in auto and v2 modes; a v1 client is refused at the upgrade', async () => {
    const server = await startServer({ requireV2: true })
    await client(server.url, { protocol: 'auto', token: await token('a') }).connect()
    await client(server.url, { ...v2, token: await token('b') }).connect()
    const old = client(server.url, { token: await token('c'), reconnect: { maxRetries: 0 } })
    await expect(old.connect()).rejects.toBeDefined()
    expect(
      server
        .connections()
        .map((c) => c.userId)
        .sort(),
    ).toEqual(['a', 'b'])
  })

  it('stays connected over many heartbeats: its pings count as liveness', async () => {
    const server = await startServer({ heartbeat: 50 })
    const c = client(server.url, { ...v2, token: await token('ana') })
    await c.connect()
    const id = c.getClientId()
    // A hand-driven client that never pings is the clock: it is closed after 3 heartbeats.
    const silent = v2Peer(server.url)
    await silent.handshake(await token('quiet'))
    expect((await silent.closed).code).toBe(4007)
    expect(c.isConnected()).toBe(true)
    expect(c.getClientId()).toBe(id)
  })
})
