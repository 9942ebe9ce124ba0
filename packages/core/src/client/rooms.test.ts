import { describe, expect, it } from 'vitest'
import { mockClient, mockServer, reachState, until } from '../../test/helpers'
import { getRoomStatus } from './roomStatus'

const roomFrames = (frames: string[]) =>
  frames
    .map((frame) => JSON.parse(frame))
    .filter((frame) => frame.event === 'join' || frame.event === 'leave')

describe('rooms', () => {
  it('re-joins autoJoinRooms and runtime joins after every reconnect, without the left ones', async () => {
    const server = mockServer()
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
    expect(roomFrames(second.frames)).toEqual([{ event: 'join', data: { rooms: ['desk-1', 'lobby'] } }])
  })

  it('joins a room held by two holders once, and leaves when the last lets go', async () => {
    const server = mockServer()
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
    await until(() => roomFrames(connection.frames).length === 2)
    expect(roomFrames(connection.frames)).toEqual([
      { event: 'join', data: { rooms: ['orders'] } },
      { event: 'leave', data: { rooms: ['orders'] } },
    ])
  })

  it('keeps a joinRoom() hold when leaveRooms() drops the explicit one', async () => {
    const server = mockServer()
    const client = mockClient(server.url)
    await client.connect()
    client.joinRooms(['r'])
    const release = client.joinRoom('r')
    client.leaveRooms(['r'])
    expect(client.getSnapshot().rooms).toEqual(['r'])
    release()
    expect(client.getSnapshot().rooms).toEqual([])
  })

  it('sends nothing while disconnected and one join with every room after authenticating', async () => {
    const server = mockServer()
    const client = mockClient(server.url)
    client.joinRooms(['b'])
    client.joinRoom('a')
    expect(getRoomStatus(client.getSnapshot(), 'a')).toBe('joining')
    await client.connect()
    const connection = await server.nextConnection()
    await until(() => connection.rooms.size === 2)
    expect(roomFrames(connection.frames)).toEqual([{ event: 'join', data: { rooms: ['a', 'b'] } }])
    expect(getRoomStatus(client.getSnapshot(), 'a')).toBe('joined')
    expect(getRoomStatus(client.getSnapshot(), 'c')).toBe('left')
  })

  it('keeps the rooms array (and the snapshot) identical when membership did not change', async () => {
    const server = mockServer()
    const client = mockClient(server.url, { autoJoinRooms: ['a'] })
    const before = client.getSnapshot()
    client.joinRooms(['a'])
    expect(client.getSnapshot()).toBe(before)
    expect(Object.isFrozen(before.rooms)).toBe(true)
  })

  it('refuses room names that are not non-empty strings', () => {
    const server = mockServer()
    const client = mockClient(server.url)
    expect(() => client.joinRooms([''])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }))
    expect(() => client.joinRoom(42 as unknown as string)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    )
  })
})
