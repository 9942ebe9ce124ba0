import type { MockConnection } from '@encrypted-socket/testing'
import { describe, expect, it } from 'vitest'
import { mockClient, mockServer, PROTOCOLS, reachState, until } from '../../test/helpers'
import type { EncryptedWebSocketClient } from './encryptedWebSocketClient'
import { getRoomStatus } from './roomStatus'

/** v1: the join and leave frames, as they crossed the wire (one frame names every room). */
const roomFrames = (frames: string[]) =>
  frames
    .map((frame) => JSON.parse(frame))
    .filter((frame) => frame.event === 'join' || frame.event === 'leave')

/**
 * v2: how many `join`/`leave` messages (one room each) reached the mock. Every client message is
 * one record: these are the records but the auth (#0) and the application events; which rooms
 * they left the connection in is `connection.rooms`.
 */
const roomRecords = (connection: MockConnection) => connection.records.length - 1 - connection.received.length

/** Resolves once the server handled everything the client sent before it. */
async function barrier(client: EncryptedWebSocketClient, connection: MockConnection): Promise<void> {
  const count = connection.received.length + 1
  await client.send('barrier')
  await connection.waitForEvents(count)
}

describe.each(PROTOCOLS)('rooms (%s)', (protocol) => {
  it('re-joins autoJoinRooms and runtime joins after every reconnect, without the left ones', async () => {
    const server = mockServer({ protocol })
    const client = mockClient(server.url, {
      autoJoinRooms: ['lobby'],
      reconnect: { interval: 1, jitter: 'none' },
    })
    await client.connect()
    const first = await server.nextConnection()
    client.joinRooms(['desk-1', 'desk-2'])
    client.leaveRooms(['desk-2'])
    await until(() => first.rooms.size === 2)
    expect([...first.rooms].sort()).toEqual(['desk-1', 'lobby'])
    first.drop(1006)
    const second = await server.nextConnection()
    await reachState(client, 'authenticated')
    await until(() => second.rooms.size === 2)
    expect([...second.rooms].sort()).toEqual(['desk-1', 'lobby'])
    if (protocol === 'v1') {
      expect(roomFrames(second.frames)).toEqual([{ event: 'join', data: { rooms: ['desk-1', 'lobby'] } }])
    } else {
      await barrier(client, second)
      expect(roomRecords(second)).toBe(2) // one join per room, no leave of desk-2
    }
  })

  it('joins a room held by two holders once, and leaves when the last lets go', async () => {
    const server = mockServer({ protocol })
    const client = mockClient(server.url)
    await client.connect()
    const connection = await server.nextConnection()
    const releaseA = client.joinRoom('orders')
    const releaseB = client.joinRoom('orders')
    releaseA()
    releaseA() // twice is harmless
    expect(client.getSnapshot().rooms).toEqual(['orders'])
    releaseB()
    expect(client.getSnapshot().rooms).toEqual([])
    if (protocol === 'v1') {
      await until(() => roomFrames(connection.frames).length === 2)
      expect(roomFrames(connection.frames)).toEqual([
        { event: 'join', data: { rooms: ['orders'] } },
        { event: 'leave', data: { rooms: ['orders'] } },
      ])
    } else {
      await barrier(client, connection)
      // Two messages that leave the connection in no room: the join, then the leave.
      expect(roomRecords(connection)).toBe(2)
      expect(connection.rooms).toEqual(new Set())
    }
  })

  it('keeps a joinRoom() hold when leaveRooms() drops the explicit one', async () => {
    const server = mockServer({ protocol })
    const client = mockClient(server.url)
    await client.connect()
    client.joinRooms(['r'])
    const release = client.joinRoom('r')
    client.leaveRooms(['r'])
    expect(client.getSnapshot().rooms).toEqual(['r'])
    release()
    expect(client.getSnapshot().rooms).toEqual([])
  })

  it('sends nothing while disconnected, then joins every room once after authenticating (v1: in one join)', async () => {
    const server = mockServer({ protocol })
    const client = mockClient(server.url)
    client.joinRooms(['b'])
    client.joinRoom('a')
    expect(getRoomStatus(client.getSnapshot(), 'a')).toBe('offline')
    const connecting = client.connect()
    expect(getRoomStatus(client.getSnapshot(), 'a')).toBe('joining')
    await connecting
    const connection = await server.nextConnection()
    await until(() => connection.rooms.size === 2)
    if (protocol === 'v1') {
      expect(roomFrames(connection.frames)).toEqual([{ event: 'join', data: { rooms: ['a', 'b'] } }])
    } else {
      await barrier(client, connection)
      expect(roomRecords(connection)).toBe(2) // one join per room
    }
    expect(getRoomStatus(client.getSnapshot(), 'a')).toBe('joined')
    expect(getRoomStatus(client.getSnapshot(), 'c')).toBe('left')
  })

  it('a room of a client that stopped for good is offline, not joining, and joined again on reconnect()', async () => {
    const server = mockServer({ protocol })
    const client = mockClient(server.url)
    client.joinRoom('a')
    await client.connect()
    ;(await server.nextConnection()).drop(1008, 'Refused') // not retried
    await reachState(client, 'disconnected')
    expect(getRoomStatus(client.getSnapshot(), 'a')).toBe('offline')
    await client.reconnect()
    // v2: once the server answered `joined`.
    await until(() => getRoomStatus(client.getSnapshot(), 'a') === 'joined')
    client.disconnect()
    expect(getRoomStatus(client.getSnapshot(), 'a')).toBe('offline')
  })

  it('keeps the rooms array (and the snapshot) identical when membership did not change', async () => {
    const server = mockServer({ protocol })
    const client = mockClient(server.url, { autoJoinRooms: ['a'] })
    const before = client.getSnapshot()
    client.joinRooms(['a'])
    expect(client.getSnapshot()).toBe(before)
    expect(Object.isFrozen(before.rooms)).toBe(true)
  })

  it('refuses room names that are not non-empty strings', () => {
    const server = mockServer({ protocol })
    const client = mockClient(server.url)
    expect(() => client.joinRooms([''])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }))
    expect(() => client.joinRoom(42 as unknown as string)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    )
  })
})

describe('v2 room streams after a reconnect', () => {
  it('re-joins with since; a room whose history was lost is a room gap, one that recovered is not', async () => {
    const server = mockServer()
    const client = mockClient(server.url, { reconnect: { interval: 1, maxInterval: 1 } })
    const gaps: unknown[] = []
    client.onLifecycle('gap', (gap) => gaps.push(gap))
    client.joinRooms(['kept', 'trimmed'])
    await client.connect()
    const first = await server.nextConnection()
    await until(() => first.rooms.size === 2)
    server.loseRoomHistory('trimmed')
    first.drop()
    const second = await server.nextConnection()
    await until(() => second.rooms.size === 2 && gaps.length === 2)
    // The mock resumes no session: the session gap, then the trimmed room's.
    expect(gaps).toEqual([{ scope: 'session' }, { scope: 'room', room: 'trimmed' }])
  })
})
