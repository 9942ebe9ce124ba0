import { describe, expect, it } from 'vitest'
import { PROTOCOL_V2 } from '@encrypted-socket/core'
import WebSocket from 'ws'
import { client, onCleanup, rawClient, startServer, token, until } from './helpers'

/** A v2 offer from `origin`: the upgrade completes, then a 4430 close with nothing before it (no welcome). */
async function expectOriginRefused(url: string, origin: string): Promise<void> {
  const socket = new WebSocket(url, [PROTOCOL_V2], { headers: { origin } })
  onCleanup(() => socket.terminate())
  const received: unknown[] = []
  socket.on('message', (data) => received.push(data))
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  )
  await new Promise((resolve) => socket.once('open', resolve))
  expect(await closed).toEqual({ code: 4430, reason: 'Origin not allowed' })
  expect(received).toEqual([])
}

describe('limits and hygiene', () => {
  it('closes a foreign Origin at once with 4430, sending nothing, and accepts loopback and listed ones', async () => {
    const server = await startServer()
    await expectOriginRefused(server.url, 'https://evil.example')
    await expect(rawClient(server.url, { origin: 'http://localhost:5173' }).opened).resolves.toBeUndefined()
    await expect(rawClient(server.url).opened).resolves.toBeUndefined()
    const listed = await startServer({ origins: ['https://app.example'] })
    await expect(rawClient(listed.url, { origin: 'https://app.example' }).opened).resolves.toBeUndefined()
    await expectOriginRefused(listed.url, 'http://localhost:5173')
    const any = await startServer({ origins: ['*'] })
    await expect(rawClient(any.url, { origin: 'https://whatever.example' }).opened).resolves.toBeUndefined()
    expect(server.connections()).toHaveLength(2)
    expect(listed.connections()).toHaveLength(1)
  })

  it('closes with 1009 on a frame over maxPayload', async () => {
    const server = await startServer({ maxPayload: 64 * 1024 })
    const raw = rawClient(server.url)
    await raw.authenticate(await token('u'))
    raw.socket.send('x'.repeat(64 * 1024 + 1))
    expect((await raw.closed).code).toBe(1009)
  })

  it('accepts a 1 MiB application payload with the default maxPayload', async () => {
    const server = await startServer({ demo: true })
    const c = client(server.url, { token: await token('u') })
    const replies: { text: string }[] = []
    c.on('echo.reply', (data) => replies.push(data as { text: string }))
    await c.connect()
    const text = 'ü'.repeat(512 * 1024)
    await c.send('echo', { text })
    await until(() => replies.length === 1)
    expect(replies[0]!.text === text).toBe(true)
  })

  it('closes a connection that does not authenticate in time with 4408', async () => {
    const server = await startServer({ authTimeout: 50 })
    const raw = rawClient(server.url)
    expect(await raw.closed).toEqual({ code: 4408, reason: 'Authentication timeout' })
  })

  it('drops a client silent for idleTimeout; heartbeats keep one alive', async () => {
    const server = await startServer({ idleTimeout: 1000 })
    const quiet = rawClient(server.url)
    await quiet.authenticate(await token('quiet'))
    const chatty = client(server.url, { token: await token('chatty'), heartbeatInterval: 50 })
    await chatty.connect()
    expect((await quiet.closed).code).toBe(1006)
    expect(chatty.isConnected()).toBe(true)
    await until(() => server.connections().length === 1)
    expect(server.connections().map((c) => c.userId)).toEqual(['chatty'])
  })

  it('drops and counts replays, plaintext events, undecryptable and malformed frames, and stays usable', async () => {
    const server = await startServer({ demo: true })
    const raw = rawClient(server.url)
    await raw.authenticate(await token('u'))
    const frame = await raw.send('echo', 1)
    await raw.receive()
    raw.socket.send(frame) // replay
    raw.socket.send(JSON.stringify({ event: 'echo', data: 'plaintext' }))
    const tampered = JSON.parse(frame)
    // A changed IV: not a replay, and the tag no longer verifies.
    tampered.data.iv = Buffer.from(
      Buffer.from(tampered.data.iv, 'base64').map((byte, i) => (i === 0 ? byte ^ 1 : byte)),
    ).toString('base64')
    raw.socket.send(JSON.stringify(tampered))
    raw.socket.send('not json')
    raw.socket.send(Buffer.from([1, 2, 3]))
    await raw.send('echo', 2)
    expect((await raw.receive()).data).toBe(2)
    expect(server.drops).toEqual({
      unauthenticated: 0,
      rateLimited: 0,
      replayed: 1,
      plaintext: 1,
      undecryptable: 1,
      malformed: 2,
      slowConsumer: 0,
    })
    expect(raw.received.filter((text) => text.includes('"plaintext"'))).toEqual([])
  })

  it('drops a reflection of its own frame (an IV it sent)', async () => {
    const server = await startServer({ demo: true })
    const raw = rawClient(server.url)
    await raw.authenticate(await token('u'))
    await raw.send('echo', 'a')
    const reply = await raw.nextFrame((text) => text.startsWith('{"event":"encrypted"'))
    raw.socket.send(reply) // the server's own frame, sent back
    await raw.send('echo', 'b')
    await raw.nextFrame((text) => text.startsWith('{"event":"encrypted"'))
    expect(server.drops.replayed).toBe(1)
  })

  it('closes a connection whose first frame is not authenticate (1008), before touching rooms', async () => {
    const server = await startServer()
    const raw = rawClient(server.url)
    await raw.opened
    raw.socket.send(JSON.stringify({ event: 'join', data: { rooms: ['r'] } }))
    expect((await raw.closed).code).toBe(1008)
    expect(server.drops.malformed).toBe(1)
    expect(server.roomMembers('r')).toEqual([])
  })

  it('rate-limits messages per connection: the excess is dropped, counted and reported once', async () => {
    const server = await startServer({ demo: true, rateLimit: { perSecond: 0.001, burst: 5 } })
    const raw = rawClient(server.url)
    await raw.authenticate(await token('u')) // before authentication other limits apply
    for (let i = 0; i < 10; i++) await raw.send('echo', i)
    await until(() => server.drops.rateLimited === 5)
    const replies = await Promise.all(Array.from({ length: 5 }, () => raw.receive()))
    expect(replies.map((reply) => reply.data)).toEqual([0, 1, 2, 3, 4])
    expect(raw.received.filter((text) => text.includes('RATE_LIMITED'))).toHaveLength(1)
  })
})
