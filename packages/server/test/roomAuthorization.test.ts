import { describe, expect, it, vi } from 'vitest'
import type { AuthorizeJoin, JoinRequest } from '../src/index'
import { rawClient, startServer, token, until } from './helpers'
import { v2Peer, type Received } from './v2Peer'

/** Rooms named `<user>-private` are their owner's only. */
const ownersOnly: AuthorizeJoin = ({ userId }, room) =>
  !room.endsWith('-private') || room === `${userId}-private`

async function readyPeer(
  url: string,
  user: string,
  resume?: Parameters<ReturnType<typeof v2Peer>['handshake']>[1],
) {
  const peer = v2Peer(url)
  const ready = (await peer.handshake(await token(user), resume)) as Received & { session: string }
  expect(ready).toMatchObject({ t: 'ready' })
  return Object.assign(peer, { ready })
}

async function joinV1(url: string, user: string, rooms: string[]) {
  const raw = rawClient(url)
  expect(await raw.authenticate(await token(user))).toMatchObject({ type: 'connected' })
  raw.socket.send(JSON.stringify({ event: 'join', data: { rooms } }))
  return raw
}

describe('authorizeJoin', () => {
  it('v2: refuses mallory the room of ana with denied, and she never receives what is sent to it', async () => {
    const server = await startServer({ authorizeJoin: ownersOnly })
    const mallory = await readyPeer(server.url, 'mallory')
    await mallory.record({ t: 'join', room: 'ana-private' })
    expect(await mallory.expect('denied')).toEqual({
      t: 'denied',
      room: 'ana-private',
      code: 'FORBIDDEN',
      message: 'You may not join this room.',
    })
    const ana = await readyPeer(server.url, 'ana')
    await ana.record({ t: 'join', room: 'ana-private' })
    await ana.expect('joined')
    expect(await server.sendToRoom('ana-private', 'secret', 'for ana')).toBe(1)
    expect(await ana.expect('msg')).toMatchObject({ event: 'secret', data: 'for ana' })
    await mallory.record({ t: 'ping', n: 1 })
    // Records arrive in order: the pong comes after anything sent to mallory before it.
    expect(await mallory.next()).toMatchObject({ t: 'pong', n: 1 })
    const ids = server.connections().find((c) => c.userId === 'mallory')!
    expect(server.roomMembers('ana-private')).not.toContain(ids.id)
    expect(ids.rooms).toEqual([])
    expect(await server.metrics()).toContain('encrypted_socket_joins_refused_total{reason="forbidden"} 1')
  })

  it('v1: refuses with an error frame JOIN_DENIED naming the room, and joins the others of the frame', async () => {
    const server = await startServer({ authorizeJoin: ownersOnly })
    const mallory = await joinV1(server.url, 'mallory', ['ana-private', 'lobby'])
    const denied = JSON.parse(await mallory.nextFrame((text) => text.includes('JOIN_DENIED')))
    expect(denied).toEqual({
      event: 'error',
      data: {
        code: 'JOIN_DENIED',
        room: 'ana-private',
        message: 'Room "ana-private" refused (FORBIDDEN): You may not join this room.',
      },
    })
    await until(() => server.roomMembers('lobby').length === 1)
    expect(server.roomMembers('ana-private')).toEqual([])
    expect(await server.sendToRoom('ana-private', 'secret', 1)).toBe(0)
  })

  it('passes a { code, message } refusal through, waits for a promise, and tells the hook who asks', async () => {
    const authorizeJoin = vi.fn(async (_request: JoinRequest, room: string) =>
      room === 'gone' ? { code: 'NO_SUCH_ROOM', message: 'That room was closed.' } : true,
    )
    const server = await startServer({ authorizeJoin })
    const ana = await readyPeer(server.url, 'ana')
    await ana.record({ t: 'join', room: 'gone' })
    expect(await ana.expect('denied')).toMatchObject({
      room: 'gone',
      code: 'NO_SUCH_ROOM',
      message: 'That room was closed.',
    })
    await ana.record({ t: 'join', room: 'open' })
    await ana.expect('joined')
    expect(authorizeJoin).toHaveBeenLastCalledWith(
      { connectionId: ana.ready['id'], userId: 'ana', rooms: expect.any(Set), protocol: 2, resuming: false },
      'open',
    )
  })

  it('refuses with JOIN_FAILED when the hook throws or answers nonsense, and logs no more than the hook name', async () => {
    const answers: Record<string, () => unknown> = {
      throws: () => {
        throw new Error('database down for ana')
      },
      nonsense: () => 'yes',
      badCode: () => ({ code: 'lower case', message: 'm' }),
    }
    const server = await startServer({ authorizeJoin: (_request, room) => answers[room]!() as boolean })
    const ana = await readyPeer(server.url, 'ana')
    for (const room of Object.keys(answers)) {
      await ana.record({ t: 'join', room })
      expect(await ana.expect('denied')).toMatchObject({ room, code: 'JOIN_FAILED' })
    }
    expect(server.roomMembers('throws')).toEqual([])
    const logged = server.logger.lines.join('\n')
    expect(logged).toContain('authorizeJoin')
    expect(logged).not.toContain('database down')
    expect(await server.metrics()).toContain('encrypted_socket_joins_refused_total{reason="failed"} 3')
  })

  it('checks the room name and the room limit before asking the hook', async () => {
    const authorizeJoin = vi.fn(() => true)
    const server = await startServer({ authorizeJoin })
    const ana = await readyPeer(server.url, 'ana')
    await ana.record({ t: 'join', room: 'x'.repeat(129) })
    expect(await ana.expect('denied')).toMatchObject({ code: 'BAD_ROOM' })
    expect(authorizeJoin).not.toHaveBeenCalled()
    expect(await server.metrics()).toContain('encrypted_socket_joins_refused_total{reason="limit"} 1')
  })

  it('asks again on a resume: a room no longer allowed is not held, and joining it again is denied', async () => {
    const allowed = new Set(['desk-7', 'lobby'])
    const authorizeJoin = vi.fn((_request: JoinRequest, room: string) => allowed.has(room))
    const server = await startServer({ authorizeJoin })
    const first = await readyPeer(server.url, 'ana')
    const epochs: Record<string, string> = {}
    for (const room of ['desk-7', 'lobby']) {
      await first.record({ t: 'join', room })
      epochs[room] = ((await first.expect('joined')) as Received & { epoch: string }).epoch
    }
    first.socket.terminate()
    await until(() => server.connections().length === 0)
    allowed.delete('desk-7') // ana was moved off the desk while away
    await server.sendToRoom('desk-7', 'order', 'after she left')
    const resumed = await readyPeer(server.url, 'ana', {
      session: first.ready.session,
      seq: 0,
      rooms: { 'desk-7': { epoch: epochs['desk-7']!, seq: 0 }, lobby: { epoch: epochs['lobby']!, seq: 0 } },
    })
    expect(resumed.ready).toMatchObject({ resumed: true, rooms: { lobby: { recovered: true } } })
    expect(Object.keys(resumed.ready['rooms'] as object)).toEqual(['lobby'])
    expect(authorizeJoin).toHaveBeenCalledWith(expect.objectContaining({ resuming: true }), 'desk-7')
    expect(server.roomMembers('desk-7')).toEqual([])
    await resumed.record({ t: 'join', room: 'desk-7', since: { epoch: epochs['desk-7']!, seq: 0 } })
    expect(await resumed.expect('denied')).toMatchObject({ room: 'desk-7', code: 'FORBIDDEN' })
  })

  it('warns at startup that rooms are open to everyone without the hook, and not with it', async () => {
    const open = await startServer()
    expect(open.logger.lines.join('\n')).toContain('no authorizeJoin')
    const guarded = await startServer({ authorizeJoin: ownersOnly })
    expect(guarded.logger.lines.join('\n')).not.toContain('no authorizeJoin')
  })
})
