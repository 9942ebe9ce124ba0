import type { ResumeRequest } from '@encrypted-socket/core'
import { describe, expect, it } from 'vitest'
import type { ServerOptions } from '../src/index'
import { startServer, token, until } from './helpers'
import { v2Peer, type Received, type V2Peer } from './v2Peer'

async function readyPeer(url: string, user = 'ana', resume?: ResumeRequest) {
  const peer = v2Peer(url)
  const ready = await peer.handshake(await token(user), resume)
  expect(ready).toMatchObject({ t: 'ready' })
  return Object.assign(peer, { ready: ready as Received & { session: string } })
}

async function join(peer: V2Peer, room: string, since?: { epoch: string; seq: number }) {
  await peer.record({ t: 'join', room, ...(since ? { since } : {}) })
  return (await peer.expect('joined'))! as Received & { epoch: string; seq: number }
}

async function take(peer: V2Peer, count: number): Promise<Received[]> {
  const messages: Received[] = []
  while (messages.length < count) messages.push((await peer.expect('msg'))!)
  return messages
}

/** A server whose room 'r' is at seq `sent` (messages 'm1'…, seen by a member), and its epoch. */
async function roomWithHistory(options: Partial<ServerOptions>, sent: number) {
  const server = await startServer(options)
  const member = await readyPeer(server.url, 'member')
  const { epoch } = await join(member, 'r')
  for (let i = 1; i <= sent; i++) await server.sendToRoom('r', 'say', `m${i}`)
  await take(member, sent)
  return { server, epoch }
}

describe('v2 room streams', () => {
  it('numbers room messages 1, 2, 3… per room, with the room in each, and joined tells the last seq', async () => {
    const server = await startServer()
    const ana = await readyPeer(server.url)
    const first = await join(ana, 'a')
    expect(first).toEqual({ t: 'joined', room: 'a', epoch: expect.any(String), seq: 0 })
    await join(ana, 'b')
    await server.sendToRoom('a', 'say', 1)
    await server.sendToRoom('b', 'say', 2)
    await server.sendToRoom('a', 'say', 3)
    const got = await take(ana, 3)
    expect(got.map((m) => [m['room'], m.seq, m.data])).toEqual([
      ['a', 1, 1],
      ['b', 1, 2],
      ['a', 2, 3],
    ])
    const ben = await readyPeer(server.url, 'ben')
    expect(await join(ben, 'a')).toEqual({ ...first, seq: 2 })
    await server.sendToRoom('a', 'say', 4)
    expect(await ben.expect('msg')).toMatchObject({ room: 'a', seq: 3, data: 4 })
  })

  it('answers a join with since recovered:true and the messages after it, then live ones', async () => {
    const { server, epoch } = await roomWithHistory({}, 5)
    const ana = await readyPeer(server.url)
    expect(await join(ana, 'r', { epoch, seq: 2 })).toEqual({
      t: 'joined',
      room: 'r',
      epoch,
      seq: 5,
      recovered: true,
    })
    await server.sendToRoom('r', 'say', 'm6')
    expect((await take(ana, 4)).map((m) => [m.seq, m.data])).toEqual([
      [3, 'm3'],
      [4, 'm4'],
      [5, 'm5'],
      [6, 'm6'],
    ])
    expect(server.stats()).toMatchObject({ replayed: 3, roomsRecovered: 1 })
  })

  it('answers recovered:false, and sends nothing old, for another epoch, a trimmed history, an aged one, or none', async () => {
    const cases: [string, Partial<ServerOptions>, (epoch: string) => { epoch: string; seq: number }][] = [
      ['another epoch', {}, () => ({ epoch: 'another', seq: 1 })],
      ['beyond the last seq', {}, (epoch) => ({ epoch, seq: 9 })],
      ['trimmed by count', { roomHistory: { count: 2 } }, (epoch) => ({ epoch, seq: 1 })],
      ['no history', { roomHistory: { count: 0 } }, (epoch) => ({ epoch, seq: 4 })],
    ]
    for (const [name, options, since] of cases) {
      const { server, epoch } = await roomWithHistory(options, 5)
      const ana = await readyPeer(server.url)
      expect(await join(ana, 'r', since(epoch)), name).toEqual({
        t: 'joined',
        room: 'r',
        epoch,
        seq: 5,
        recovered: false,
      })
      await server.sendToRoom('r', 'say', 'live')
      expect(await ana.expect('msg'), name).toMatchObject({ seq: 6, data: 'live' })
      expect(server.stats().roomsNotRecovered, name).toBe(1)
    }
  })

  it('recovers what is still within count and maxAge, and nothing older than maxAge', async () => {
    let clock = 1_000_000
    const { server, epoch } = await roomWithHistory(
      { now: () => clock, roomHistory: { count: 3, maxAge: 1000 } },
      5,
    )
    const ana = await readyPeer(server.url)
    expect(await join(ana, 'r', { epoch, seq: 2 })).toMatchObject({ seq: 5, recovered: true })
    expect((await take(ana, 3)).map((m) => m.seq)).toEqual([3, 4, 5])
    // Up to date, even with nothing in history: recovered (nothing was missed).
    clock += 1001
    const ben = await readyPeer(server.url, 'ben')
    expect(await join(ben, 'r', { epoch, seq: 5 })).toMatchObject({ seq: 5, recovered: true })
    const carl = await readyPeer(server.url, 'carl')
    expect(await join(carl, 'r', { epoch, seq: 4 })).toMatchObject({ seq: 5, recovered: false })
  })

  it('on a resume, lists the rooms the session holds and replays what each missed in that order; a room not named, or named in another epoch, is recovered:false', async () => {
    const server = await startServer()
    const first = await readyPeer(server.url)
    const epochs: Record<string, string> = {}
    for (const room of ['x', 'y', 'z']) epochs[room] = (await join(first, room)).epoch
    for (const room of ['x', 'y', 'z']) await server.sendToRoom(room, 'say', `${room}1`)
    await take(first, 3)
    first.socket.terminate()
    await until(() => server.connections().length === 0)
    for (const room of ['z', 'y', 'x']) await server.sendToRoom(room, 'say', `${room}2`)
    const resumed = await readyPeer(server.url, 'ana', {
      session: first.ready.session,
      seq: 0,
      rooms: {
        x: { epoch: epochs['x']!, seq: 1 },
        y: { epoch: 'old', seq: 1 },
        elsewhere: { epoch: 'e', seq: 3 },
      },
    })
    expect(resumed.ready['rooms']).toEqual({
      x: { epoch: epochs['x'], seq: 2, recovered: true },
      y: { epoch: epochs['y'], seq: 2, recovered: false },
      z: { epoch: epochs['z'], seq: 2, recovered: false },
    })
    await server.sendToRoom('y', 'say', 'y3')
    expect((await take(resumed, 2)).map((m) => [m['room'], m.seq, m.data])).toEqual([
      ['x', 2, 'x2'],
      ['y', 3, 'y3'],
    ])
    expect([...server.connections()[0]!.rooms].sort()).toEqual(['x', 'y', 'z'])
    expect(server.stats()).toMatchObject({ roomsRecovered: 1, roomsNotRecovered: 2 })
  })

  it('does not resume a room the client left', async () => {
    const server = await startServer()
    const first = await readyPeer(server.url)
    const { epoch } = await join(first, 'r')
    await first.record({ t: 'leave', room: 'r' })
    await until(() => server.roomMembers('r').length === 0)
    first.socket.terminate()
    await until(() => server.connections().length === 0)
    const resumed = await readyPeer(server.url, 'ana', {
      session: first.ready.session,
      seq: 0,
      rooms: { r: { epoch, seq: 0 } },
    })
    expect(resumed.ready).toMatchObject({ resumed: true, rooms: {} })
    expect(server.roomMembers('r')).toEqual([])
  })
})
