import type { ResumeRequest } from '@encrypted-socket/core'
import { describe, expect, it } from 'vitest'
import type { EventHandler } from '../src/eventContext'
import { rawClient, startServer, token, until } from './helpers'
import { v2Peer, type Received, type V2Peer } from './v2Peer'

async function readyPeer(url: string, user = 'ana', resume?: ResumeRequest) {
  const peer = v2Peer(url)
  const ready = await peer.handshake(await token(user), resume)
  expect(ready).toMatchObject({ t: 'ready' })
  return Object.assign(peer, { ready: ready as Received & { session: string; seq: number } })
}

/** Sends a ping and waits for its pong: every record sent before it was read by the server. */
async function roundTrip(peer: V2Peer, n = 0): Promise<void> {
  await peer.record({ t: 'ping', n })
  await peer.expect('pong')
}

/** The next `count` messages of type `t`. */
async function take(peer: V2Peer, count: number, t = 'msg'): Promise<Received[]> {
  const messages: Received[] = []
  while (messages.length < count) messages.push((await peer.expect(t))!)
  return messages
}

/** Ends the peer's socket and waits until the server saw it go. */
async function lose(server: { connections(): unknown[] }, peer: V2Peer): Promise<void> {
  peer.socket.terminate()
  await until(() => server.connections().length === 0)
}

const msg = (seq: number, data: unknown, event = 'e') => ({ t: 'msg', seq, event, data })

describe('v2 session stream', () => {
  it('numbers what goes to the connection and to the user 1, 2, 3…, not broadcasts; takes acks up to what was sent, 4001 beyond', async () => {
    const server = await startServer()
    const peer = await readyPeer(server.url)
    const [info] = server.connections()
    await server.sendTo(info!.id, 'one', 1)
    await server.sendToUser('ana', 'two', 2)
    await server.broadcast('all', 0)
    await server.sendTo(info!.id, 'three', 3)
    const got = await take(peer, 4)
    expect(got.map((m) => [m.event, m.seq])).toEqual([
      ['one', 1],
      ['two', 2],
      ['all', undefined],
      ['three', 3],
    ])
    expect(server.stats().unacknowledged).toBe(3)
    await peer.record({ t: 'ack', seq: 2 })
    await roundTrip(peer)
    expect(server.stats().unacknowledged).toBe(1)
    await peer.record({ t: 'ack', seq: 3 })
    await roundTrip(peer, 1)
    expect(server.stats().unacknowledged).toBe(0)
    await peer.record({ t: 'ack', seq: 4 })
    expect((await peer.closed).code).toBe(4001)
  })
})

describe('v2 resume', () => {
  it('replays exactly the unacknowledged messages after resume.seq, in order, then the rooms’ missed ones, then live ones', async () => {
    const server = await startServer()
    const first = await readyPeer(server.url)
    await first.record({ t: 'join', room: 'r' })
    const joined = (await first.expect('joined'))!
    const [info] = server.connections()
    for (let i = 1; i <= 5; i++) await server.sendTo(info!.id, 's', i)
    await server.sendToRoom('r', 'room', 'r1')
    await take(first, 6)
    await first.record({ t: 'ack', seq: 2 })
    await roundTrip(first)
    await lose(server, first)
    // While away: one more to the user (kept on the waiting session) and one to the room (history).
    await server.sendToUser('ana', 's', 6)
    await server.sendToRoom('r', 'room', 'r2')

    const resumed = await readyPeer(server.url, 'ana', {
      session: first.ready.session,
      seq: 3, // delivered up to 3 (acknowledged up to 2)
      rooms: { r: { epoch: joined.epoch as string, seq: 1 } },
    })
    expect(resumed.ready).toMatchObject({
      resumed: true,
      session: first.ready.session,
      seq: 0,
      rooms: { r: { epoch: joined.epoch, seq: 2, recovered: true } },
    })
    await server.sendTo(server.connections()[0]!.id, 's', 'live')
    const got = await take(resumed, 5)
    expect(got.map((m) => [m['room'] ?? 'session', m.seq, m.data])).toEqual([
      ['session', 4, 4],
      ['session', 5, 5],
      ['session', 6, 6],
      ['r', 2, 'r2'],
      ['session', 7, 'live'],
    ])
    expect(server.roomMembers('r')).toEqual([server.connections()[0]!.id])
    expect(server.stats()).toMatchObject({ resumes: 1, replayed: 4, roomsRecovered: 1 })
  })

  it('counts in ready.seq the message still being processed when the connection dropped, and processes a repeat of it once', async () => {
    let open = () => {}
    const gate = new Promise<void>((resolve) => (open = resolve))
    const handled: unknown[] = []
    let slowStarted = false
    const onEvent: EventHandler = async (_context, _event, data) => {
      if (data === 'slow') {
        slowStarted = true
        await gate
      }
      handled.push(data)
    }
    const server = await startServer({ onEvent })
    const first = await readyPeer(server.url)
    await first.record(msg(1, 'fast'))
    await first.expect('ack')
    await first.record(msg(2, 'slow'))
    await until(() => slowStarted)
    await lose(server, first)
    const resuming = readyPeer(server.url, 'ana', { session: first.ready.session, seq: 0, rooms: {} })
    // Authenticated (the user is known): the resume now waits for the slow handler.
    await until(() => server.connections()[0]?.userId === 'ana')
    open()
    const resumed = await resuming
    expect(resumed.ready).toMatchObject({ resumed: true, seq: 2 })
    // A client that missed the ack sends 2 again, then 3: 2 is acknowledged, not processed again.
    await resumed.record(msg(2, 'slow'))
    await resumed.record(msg(3, 'next'))
    for (;;) if ((await resumed.expect('ack'))!.seq === 3) break
    expect(handled).toEqual(['fast', 'slow', 'next'])
    expect(server.stats().duplicatesRefused).toBe(1)
  })

  it('closes with 4009 the connection of a session resumed elsewhere while it still looked open', async () => {
    const server = await startServer()
    const first = await readyPeer(server.url)
    const [info] = server.connections()
    await server.sendTo(info!.id, 's', 1)
    await first.expect('msg')
    const second = await readyPeer(server.url, 'ana', { session: first.ready.session, seq: 1, rooms: {} })
    expect(second.ready).toMatchObject({ resumed: true, session: first.ready.session })
    expect((await first.closed).code).toBe(4009)
    await until(() => server.connections().length === 1)
    await server.sendToUser('ana', 's', 2)
    expect(await second.expect('msg')).toMatchObject({ seq: 2, data: 2 })
    expect(server.stats().superseded).toBe(1)
  })

  it('refuses, with resumed:false, seq 0 and a new session: an unknown session, another user’s, a seq beyond what was sent, and after the window', async () => {
    let clock = 1_000_000
    const server = await startServer({ now: () => clock, resumeWindow: 60_000 })
    const ana = await readyPeer(server.url)
    await server.sendTo(server.connections()[0]!.id, 's', 1)
    await ana.expect('msg')
    await lose(server, ana)
    const { session } = ana.ready
    const refused = async (user: string, resume: ResumeRequest) => {
      const peer = await readyPeer(server.url, user, resume)
      expect(peer.ready).toMatchObject({ resumed: false, seq: 0, rooms: {} })
      expect(peer.ready.session).not.toBe(resume.session)
      peer.socket.terminate()
      await until(() => server.connections().length === 0)
    }
    await refused('ana', { session: 'no-such-session', seq: 0, rooms: {} })
    await refused('ben', { session, seq: 0, rooms: {} })
    await refused('ana', { session, seq: 2, rooms: {} })
    // None of those took the session: it still resumes, until its window ends.
    clock += 59_999
    const again = await readyPeer(server.url, 'ana', { session, seq: 0, rooms: {} })
    expect(again.ready).toMatchObject({ resumed: true, session })
    expect(await again.expect('msg')).toMatchObject({ seq: 1, data: 1 })
    await lose(server, again)
    clock += 60_000
    await refused('ana', { session, seq: 0, rooms: {} })
    expect(server.stats()).toMatchObject({ resumes: 1, resumesRefused: 4, droppedAtWindowEnd: 1 })
  })

  it('refuses a resume from before what an overflowing session dropped, and serves one after it', async () => {
    const server = await startServer({ resumeMaxMessages: 3 })
    const first = await readyPeer(server.url)
    for (let i = 1; i <= 5; i++) await server.sendTo(server.connections()[0]!.id, 's', i)
    await take(first, 5)
    await lose(server, first)
    expect(server.stats()).toMatchObject({ droppedOverflow: 2, unacknowledged: 3 })
    const { session } = first.ready
    const early = await readyPeer(server.url, 'ana', { session, seq: 1, rooms: {} })
    expect(early.ready).toMatchObject({ resumed: false })
    await lose(server, early)
    const late = await readyPeer(server.url, 'ana', { session, seq: 2, rooms: {} })
    expect(late.ready).toMatchObject({ resumed: true })
    expect((await take(late, 3)).map((m) => m.seq)).toEqual([3, 4, 5])
  })

  it('keeps messages to a user whose connection dropped for the resume; v1 connections have no session', async () => {
    const server = await startServer()
    const peer = await readyPeer(server.url)
    await lose(server, peer)
    expect(await server.sendToUser('ana', 'while-away', 1)).toBe(0)
    expect(server.stats()).toMatchObject({ sessions: 1, sessionsWaiting: 1, unacknowledged: 1 })
    const back = await readyPeer(server.url, 'ana', { session: peer.ready.session, seq: 0, rooms: {} })
    expect(await back.expect('msg')).toMatchObject({ seq: 1, event: 'while-away' })
  })

  it('drops the oldest waiting sessions of a user beyond maxConnectionsPerUser', async () => {
    const server = await startServer({ maxConnectionsPerUser: 2 })
    const sessions: string[] = []
    for (let i = 0; i < 3; i++) {
      const peer = await readyPeer(server.url)
      sessions.push(peer.ready.session)
      await lose(server, peer)
    }
    expect(server.stats()).toMatchObject({ sessionsWaiting: 2, sessionsEvicted: 1 })
    const oldest = await readyPeer(server.url, 'ana', { session: sessions[0]!, seq: 0, rooms: {} })
    expect(oldest.ready).toMatchObject({ resumed: false })
  })

  it('leaves v1 connections as they were: no seq on what they get', async () => {
    const server = await startServer()
    const old = rawClient(server.url)
    await old.authenticate(await token('carl'))
    await until(() => server.connections().length === 1)
    await server.sendToUser('carl', 'hello', 1)
    const got = await old.receive()
    expect(got).toEqual(expect.objectContaining({ event: 'hello', data: 1 }))
    expect(got).not.toHaveProperty('seq')
  })
})
