import { describe, expect, it, vi } from 'vitest'
import type { EventHandler } from '../src/eventContext'
import { rawClient, startServer, token, until } from './helpers'
import { v2Peer } from './v2Peer'

/** A handler that waits for `open()` before handling, recording what it handled. */
function gatedHandler() {
  let open = () => {}
  const gate = new Promise<void>((resolve) => (open = resolve))
  const handled: unknown[] = []
  const onEvent: EventHandler = async (_context, _event, data) => {
    await gate
    handled.push(data)
  }
  return { onEvent, handled, open: () => open() }
}

async function readyPeer(url: string, user = 'ana') {
  const peer = v2Peer(url)
  expect(await peer.handshake(await token(user))).toMatchObject({ t: 'ready' })
  return peer
}

const msg = (seq: number, data: unknown, event = 'e') => ({ t: 'msg', seq, event, data })

describe('v2 client messages', () => {
  it('processes seqs 1, 2, 3 once and in order, and acknowledges them with one coalesced ack', async () => {
    const { onEvent, handled, open } = gatedHandler()
    const server = await startServer({ onEvent })
    const peer = await readyPeer(server.url)
    for (const seq of [1, 2, 3]) await peer.record(msg(seq, seq))
    // Pings are answered on arrival: once the pong is back, all three are in the server's queue.
    await peer.record({ t: 'ping', n: 0 })
    expect(await peer.next()).toEqual({ t: 'pong', n: 0 })
    open()
    expect(await peer.expect('ack')).toEqual({ t: 'ack', seq: 3 })
    expect(handled).toEqual([1, 2, 3])
    expect(peer.skipped).toEqual([])
  })

  it('acknowledges a repeated seq again without processing it again', async () => {
    const onEvent = vi.fn()
    const server = await startServer({ onEvent })
    const peer = await readyPeer(server.url)
    await peer.record(msg(1, 'once'))
    expect(await peer.expect('ack')).toEqual({ t: 'ack', seq: 1 })
    await peer.record(msg(1, 'once'))
    expect(await peer.expect('ack')).toEqual({ t: 'ack', seq: 1 })
    expect(onEvent).toHaveBeenCalledTimes(1)
  })

  it('closes 4001 on a seq that skips ahead, without processing it', async () => {
    const onEvent = vi.fn()
    const server = await startServer({ onEvent })
    const peer = await readyPeer(server.url)
    await peer.record(msg(1, 'a'))
    await peer.record(msg(3, 'c'))
    expect((await peer.closed).code).toBe(4001)
    expect(onEvent.mock.calls.map((call) => call[2])).toEqual(['a'])
  })

  it('closes 4001 on a msg without seq, or with seq 0', async () => {
    const server = await startServer()
    for (const message of [{ t: 'msg', event: 'e', data: 1 }, msg(0, 1)]) {
      const peer = await readyPeer(server.url)
      await peer.record(message)
      expect((await peer.closed).code).toBe(4001)
    }
  })

  it('closes 4001 on an ack beyond what the server sent; an ack of 0 is fine', async () => {
    const server = await startServer()
    const peer = await readyPeer(server.url)
    await peer.record({ t: 'ack', seq: 0 })
    await peer.record({ t: 'ping', n: 7 })
    expect(await peer.expect('pong')).toEqual({ t: 'pong', n: 7 })
    await peer.record({ t: 'ack', seq: 1 })
    expect((await peer.closed).code).toBe(4001)
  })

  it('answers a ping at once with its n, even while a handler is busy', async () => {
    const { onEvent, handled, open } = gatedHandler()
    const server = await startServer({ onEvent })
    const peer = await readyPeer(server.url)
    await peer.record(msg(1, 'slow'))
    await peer.record({ t: 'ping', n: 42 })
    expect(await peer.next()).toEqual({ t: 'pong', n: 42 })
    expect(handled).toEqual([])
    open()
    expect(await peer.expect('ack')).toEqual({ t: 'ack', seq: 1 })
  })

  it('ignores an unknown t, and closes 4001 on a wrong direction, a wrong field, or an auth after record #0', async () => {
    const server = await startServer()
    const peer = await readyPeer(server.url)
    await peer.record({ t: 'future', whatever: [1] })
    await peer.record({ t: 'ping', n: 1 })
    expect(await peer.next()).toEqual({ t: 'pong', n: 1 })
    for (const bad of [
      { t: 'pong', n: 1 },
      { t: 'ready', id: 'x' },
      { t: 'ping', n: 'one' },
      { t: 'join', room: 5 },
      { t: 'auth', token: 'again' },
    ]) {
      const other = await readyPeer(server.url)
      await other.record(bad)
      expect((await other.closed).code, JSON.stringify(bad)).toBe(4001)
    }
  })

  it('dispatches msg data to the v1 handlers, binary data as a Buffer, and replies in kind', async () => {
    const seen: { event: string; data: unknown }[] = []
    const server = await startServer({
      demo: true,
      onEvent: (_context, event, data) => void seen.push({ event, data }),
    })
    const peer = await readyPeer(server.url)
    await peer.record(msg(1, { text: 'hi' }, 'echo'))
    expect(await peer.expect('msg')).toEqual({
      t: 'msg',
      seq: 1, // a reply is on the session stream
      event: 'echo.reply',
      data: { text: 'hi' },
      binary: false,
    })
    const bytes = new Uint8Array([0, 1, 2, 255])
    await peer.record({ t: 'msg', seq: 2, event: 'echo', bin: true }, bytes)
    expect(await peer.expect('msg')).toEqual({
      t: 'msg',
      seq: 2,
      event: 'echo.reply',
      data: bytes,
      binary: true,
    })
    expect(seen[1]!.data).toBeInstanceOf(Buffer)
    expect(seen[1]!.data).toEqual(Buffer.from(bytes))
  })
})

describe('v2 rooms', () => {
  it('joins with an epoch shared by the room, denies bad names and the 101st room, and leaves', async () => {
    const server = await startServer()
    const ana = await readyPeer(server.url, 'ana')
    const ben = await readyPeer(server.url, 'ben')
    await ana.record({ t: 'join', room: 'lobby' })
    const joined = await ana.expect('joined')
    expect(joined).toEqual({ t: 'joined', room: 'lobby', epoch: expect.any(String), seq: 0 })
    await ben.record({ t: 'join', room: 'lobby', since: { epoch: 'old', seq: 3 } })
    expect(await ben.expect('joined')).toEqual({ ...joined, recovered: false })
    expect(server.roomMembers('lobby')).toHaveLength(2)

    await ana.record({ t: 'join', room: '' })
    expect(await ana.expect('denied')).toMatchObject({ room: '', code: 'BAD_ROOM' })
    await ana.record({ t: 'join', room: 'x'.repeat(129) })
    expect(await ana.expect('denied')).toMatchObject({ code: 'BAD_ROOM' })
    for (let i = 1; i < 100; i++) await ana.record({ t: 'join', room: `r${i}` })
    await ana.record({ t: 'join', room: 'one-too-many' })
    expect(await ana.expect('denied')).toMatchObject({ room: 'one-too-many', code: 'TOO_MANY_ROOMS' })
    expect(ana.skipped.filter((m) => m.t === 'joined')).toHaveLength(99)
    expect(server.connections().find((c) => c.userId === 'ana')!.rooms).toHaveLength(100)

    await ana.record({ t: 'leave', room: 'lobby' })
    await until(() => server.roomMembers('lobby').length === 1)
    expect(server.connections().find((c) => c.userId === 'ana')!.rooms).not.toContain('lobby')
  })

  it('delivers a room message to v1 and v2 members alike', async () => {
    const server = await startServer({ demo: true })
    const ana = await readyPeer(server.url, 'ana')
    const ben = await readyPeer(server.url, 'ben')
    const old = rawClient(server.url)
    await old.authenticate(await token('carl'))
    old.socket.send(JSON.stringify({ event: 'join', data: { rooms: ['lobby'] } }))
    for (const peer of [ana, ben]) {
      await peer.record({ t: 'join', room: 'lobby' })
      await peer.expect('joined')
    }
    await until(() => server.roomMembers('lobby').length === 3)
    await ana.record(msg(1, { room: 'lobby', text: 'hello all' }, 'chat.send'))
    for (const peer of [ana, ben]) {
      expect(await peer.expect('msg')).toMatchObject({
        event: 'chat.message',
        data: { text: 'hello all', from: 'ana' },
      })
    }
    expect(await old.receive()).toMatchObject({
      event: 'chat.message',
      data: { text: 'hello all', from: 'ana' },
    })
  })
})

describe('v2 fan-out', () => {
  it('reaches v1 and v2 connections through sendTo, sendToUser, sendToRoom and broadcast', async () => {
    const server = await startServer()
    const peer = await readyPeer(server.url, 'ana')
    const old = rawClient(server.url)
    await old.authenticate(await token('ana'))
    await peer.record({ t: 'join', room: 'r' })
    await peer.expect('joined')
    old.socket.send(JSON.stringify({ event: 'join', data: { rooms: ['r'] } }))
    await until(() => server.roomMembers('r').length === 2)
    const ids = server.connections().map((c) => c.id)
    for (const id of ids) expect(await server.sendTo(id, 'one', id)).toBe(true)
    expect(await server.sendToUser('ana', 'user', 1)).toBe(2)
    expect(await server.sendToRoom('r', 'room', 2)).toBe(2)
    expect(await server.broadcast('all', 3)).toBe(2)
    const v2Events = []
    for (let i = 0; i < 4; i++) v2Events.push(await peer.expect('msg'))
    expect(v2Events.map((m) => [m!.event, m!.data])).toEqual([
      ['one', expect.any(String)],
      ['user', 1],
      ['room', 2],
      ['all', 3],
    ])
    const v1Events = []
    for (let i = 0; i < 4; i++) v1Events.push(await old.receive())
    expect(v1Events.map((m) => [m.event, m.data])).toEqual([
      ['one', expect.any(String)],
      ['user', 1],
      ['room', 2],
      ['all', 3],
    ])
  })

  it('sends binary data to v2 connections as an attachment and skips v1 ones (a debug line)', async () => {
    const server = await startServer()
    const peer = await readyPeer(server.url, 'ana')
    const old = rawClient(server.url)
    await old.authenticate(await token('ben'))
    await until(() => server.connections().filter((c) => c.authenticated).length === 2)
    const bytes = Buffer.from('binary payload')
    expect(await server.broadcast('blob', bytes)).toBe(1)
    expect(await peer.expect('msg')).toEqual({
      t: 'msg',
      event: 'blob',
      data: new Uint8Array(bytes),
      binary: true,
    })
    const v1 = server.connections().find((c) => c.protocol === 1)!
    expect(await server.sendTo(v1.id, 'blob', bytes)).toBe(false)
    expect(
      server.logger.lines.filter((line) => line.includes('binary data not sent to a v1 client')),
    ).toHaveLength(2)
    // The v1 client gets the next JSON message and nothing before it.
    await server.sendTo(v1.id, 'json', 1)
    expect(await old.receive()).toMatchObject({ event: 'json', data: 1 })
  })
})
