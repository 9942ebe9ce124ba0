import { describe, expect, it } from 'vitest'
import { client, rawClient, startServer, token, until } from './helpers'

async function chatClient(url: string, user: string, rooms: string[]) {
  const c = client(url, { token: await token(user), autoJoinRooms: rooms })
  const messages: { room: string; text: string; from: string; at: string }[] = []
  c.on('chat.message', (data) => messages.push(data as (typeof messages)[number]))
  await c.connect()
  return { c, messages }
}

describe('rooms and sending', () => {
  it('delivers a chat message to every member of the room once, and to nobody else', async () => {
    const server = await startServer({ demo: true })
    const alice = await chatClient(server.url, 'alice', ['lobby'])
    const bob = await chatClient(server.url, 'bob', ['lobby'])
    const carol = await chatClient(server.url, 'carol', ['elsewhere'])
    await until(() => server.roomMembers('lobby').length === 2)
    await alice.c.send('chat.send', { room: 'lobby', text: 'hi all' })
    await until(() => alice.messages.length === 1 && bob.messages.length === 1)
    expect(bob.messages[0]).toMatchObject({ room: 'lobby', text: 'hi all', from: 'alice' })
    expect(Number.isNaN(Date.parse(bob.messages[0]!.at))).toBe(false)
    // A round trip on carol's socket: any room message for her would have arrived before the reply.
    const synced: unknown[] = []
    carol.c.on('echo.reply', (data) => synced.push(data))
    await carol.c.send('echo', 'sync')
    await until(() => synced.length === 1)
    expect(carol.messages).toEqual([])
  })

  it('encrypts a room message once per recipient: each gets its own ciphertext', async () => {
    const server = await startServer({ demo: true })
    const a = rawClient(server.url)
    const b = rawClient(server.url)
    await a.authenticate(await token('a'))
    await b.authenticate(await token('b'))
    a.socket.send(JSON.stringify({ event: 'join', data: { rooms: ['r'] } }))
    b.socket.send(JSON.stringify({ event: 'join', data: { rooms: ['r'] } }))
    await until(() => server.roomMembers('r').length === 2)
    await a.send('chat.send', { room: 'r', text: 'secret' })
    const [atA, atB] = await Promise.all([a.receive(), b.receive()])
    expect(atA.data).toMatchObject({ text: 'secret' })
    expect(atB.data).toMatchObject({ text: 'secret' })
    expect(atA.ct).not.toBe(atB.ct)
  })

  it('handles a burst from one connection in arrival order and replies in that order, large and small mixed', async () => {
    const server = await startServer({ demo: true })
    const raw = rawClient(server.url)
    await raw.authenticate(await token('u'))
    const sizes = Array.from({ length: 24 }, (_, n) => (n % 3 === 0 ? 256 * 1024 : 1))
    for (const [n, size] of sizes.entries()) await raw.send('echo', { n, pad: 'x'.repeat(size) })
    const replies: number[] = []
    for (let i = 0; i < sizes.length; i++) replies.push(((await raw.receive()).data as { n: number }).n)
    expect(replies).toEqual(sizes.map((_, n) => n))
  })

  it('refuses chat.send to a room the sender has not joined', async () => {
    const server = await startServer({ demo: true })
    const { c } = await chatClient(server.url, 'mallory', [])
    const errors: unknown[] = []
    c.on('chat.error', (data) => errors.push(data))
    await c.send('chat.send', { room: 'lobby', text: 'sneaky' })
    await until(() => errors.length === 1)
    expect(errors[0]).toMatchObject({ message: expect.stringContaining('join "lobby"') })
  })

  it('sends to one connection, to a user’s connections, to a room and to everyone', async () => {
    const server = await startServer()
    const seen = new Map<string, unknown[]>()
    const make = async (name: string, user: string, rooms: string[]) => {
      const c = client(server.url, { token: await token(user), autoJoinRooms: rooms })
      seen.set(name, [])
      c.on('note', (data) => seen.get(name)!.push(data))
      await c.connect()
      return c
    }
    const phone = await make('phone', 'alice', ['desk'])
    await make('laptop', 'alice', [])
    await make('bob', 'bob', ['desk'])
    await until(() => server.roomMembers('desk').length === 2)
    expect(await server.sendTo(phone.getClientId()!, 'note', 'one')).toBe(true)
    expect(await server.sendToUser('alice', 'note', 'user')).toBe(2)
    expect(await server.sendToRoom('desk', 'note', 'room')).toBe(2)
    expect(await server.broadcast('note', 'all')).toBe(3)
    await until(() => [...seen.values()].flat().length === 8)
    expect(Object.fromEntries(seen)).toEqual({
      phone: ['one', 'user', 'room', 'all'],
      laptop: ['user', 'all'],
      bob: ['room', 'all'],
    })
    expect(await server.sendTo('no-such-id', 'note', 'x')).toBe(false)
  })

  it('calls onEvent with the sender’s context and lets it reply', async () => {
    const server = await startServer({
      onEvent: async (context, event, data) => {
        if (event === 'whoami')
          await context.reply('you.are', { userId: context.userId, rooms: [...context.rooms], data })
      },
    })
    const c = client(server.url, { token: await token('dana'), autoJoinRooms: ['x'] })
    const replies: unknown[] = []
    c.on('you.are', (data) => replies.push(data))
    await c.connect()
    await until(() => server.roomMembers('x').length === 1)
    await c.send('whoami', 42)
    await until(() => replies.length === 1)
    expect(replies[0]).toEqual({ userId: 'dana', rooms: ['x'], data: 42 })
  })

  it('leaves rooms on leave and when the connection closes', async () => {
    const server = await startServer()
    const c = client(server.url, { token: await token('u'), autoJoinRooms: ['a', 'b'] })
    await c.connect()
    await until(() => server.roomMembers('a').length === 1 && server.roomMembers('b').length === 1)
    c.leaveRooms(['a'])
    await until(() => server.roomMembers('a').length === 0)
    c.disconnect()
    await until(() => server.roomMembers('b').length === 0)
  })

  it('re-joins the rooms after a reconnect, with fresh keys', async () => {
    const server = await startServer()
    const c = client(server.url, {
      token: await token('u'),
      autoJoinRooms: ['lobby'],
      reconnect: { interval: 10, jitter: 'none' },
    })
    await c.connect()
    const firstId = c.getClientId()!
    server.disconnect(firstId, 1012, 'restart')
    await until(() => c.isConnected() && c.getClientId() !== firstId)
    await until(() => server.roomMembers('lobby').join() === c.getClientId())
    expect(server.roomMembers('lobby')).toEqual([c.getClientId()])
  })
})

describe('rooms and closing sockets', () => {
  it('a join still queued when the socket closes does not leave a dead member behind', async () => {
    let release: () => void = () => undefined
    const slow = new Promise<void>((resolve) => (release = resolve))
    const server = await startServer({ onEvent: () => slow })
    const raw = rawClient(server.url)
    await raw.authenticate(await token('alice'))
    await raw.send('slow') // its handler holds the queue
    raw.socket.send(JSON.stringify({ event: 'join', data: { rooms: ['lobby'] } }))
    raw.socket.close()
    await until(() => server.connections().length === 0)
    release()
    await new Promise((resolve) => setImmediate(resolve)) // the queued join runs now
    expect(server.roomMembers('lobby')).toEqual([])
    expect(await server.presence('lobby')).toEqual([])
  })
})
