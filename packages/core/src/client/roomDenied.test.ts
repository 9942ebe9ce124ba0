import { describe, expect, it } from 'vitest'
import {
  mockClient,
  mockServer,
  nextError,
  nextLifecycle,
  PROTOCOLS,
  reachState,
  until,
} from '../../test/helpers'
import { getRoomDenial, getRoomStatus } from './roomStatus'

const FORBIDDEN = { code: 'FORBIDDEN', message: 'Only the desk may read it.' }

describe.each(PROTOCOLS)('a room the server refuses (%s)', (protocol) => {
  /** v2 passes the server's code on; v1's error frame is `JOIN_DENIED`, its text naming the reason. */
  const denial =
    protocol === 'v2'
      ? FORBIDDEN
      : { code: 'JOIN_DENIED', message: 'Room "desk-7" refused (FORBIDDEN): Only the desk may read it.' }

  async function deniedClient() {
    const server = mockServer({ protocol })
    server.denyRoom('desk-7', FORBIDDEN)
    const client = mockClient(server.url, { reconnect: { interval: 1, jitter: 'none' } })
    client.joinRooms(['lobby', 'desk-7'])
    const refused = nextError(client, 'ERR_ROOM_DENIED')
    const notified = nextLifecycle(client, 'denied')
    await client.connect()
    const connection = await server.nextConnection()
    expect((await refused).message).toContain('desk-7')
    expect(await notified).toEqual({ room: 'desk-7', denial })
    await until(() => getRoomStatus(client.getSnapshot(), 'desk-7') === 'denied')
    return { server, client, connection }
  }

  it('is denied, with the reason in the snapshot, while the others are joined', async () => {
    const { client, connection } = await deniedClient()
    await until(() => getRoomStatus(client.getSnapshot(), 'lobby') === 'joined')
    const snapshot = client.getSnapshot()
    expect(getRoomDenial(snapshot, 'desk-7')).toEqual(denial)
    expect(snapshot.deniedRooms).toEqual({ 'desk-7': denial })
    expect(snapshot.joinedRooms).toEqual(['lobby'])
    expect(snapshot.rooms).toEqual(['desk-7', 'lobby'])
    expect([...connection.rooms]).toEqual(['lobby'])
  })

  it('is not asked for again after a reconnect, and stays denied', async () => {
    const { server, client, connection } = await deniedClient()
    connection.drop(1006)
    const second = await server.nextConnection()
    await reachState(client, 'authenticated')
    await until(() => second.rooms.has('lobby'))
    await client.send('barrier')
    await second.waitForEvents(1)
    const asked = protocol === 'v1' ? second.frames.filter((frame) => frame.includes('desk-7')) : []
    expect(asked).toEqual([])
    if (protocol === 'v2') expect(second.records.length).toBe(3) // auth, the lobby join, the barrier
    expect(getRoomStatus(client.getSnapshot(), 'desk-7')).toBe('denied')
  })

  it('is asked for again when joined anew, and joined once allowed', async () => {
    const { server, client, connection } = await deniedClient()
    server.allowRoom('desk-7')
    client.joinRooms(['desk-7'])
    expect(getRoomStatus(client.getSnapshot(), 'desk-7')).toBe(protocol === 'v1' ? 'joined' : 'joining')
    await until(() => connection.rooms.has('desk-7'))
    await until(() => getRoomStatus(client.getSnapshot(), 'desk-7') === 'joined')
    expect(client.getSnapshot().deniedRooms).toEqual({})
  })

  it('forgets the refusal when released, and a new hold asks again', async () => {
    const server = mockServer({ protocol })
    server.denyRoom('desk-7')
    const client = mockClient(server.url)
    await client.connect()
    const connection = await server.nextConnection()
    const release = client.joinRoom('desk-7')
    await until(() => getRoomStatus(client.getSnapshot(), 'desk-7') === 'denied')
    release()
    expect(client.getSnapshot().deniedRooms).toEqual({})
    expect(getRoomStatus(client.getSnapshot(), 'desk-7')).toBe('left')
    server.allowRoom('desk-7')
    client.joinRoom('desk-7')
    await until(() => connection.rooms.has('desk-7'))
  })
})

describe('joined only when the server says so (v2)', () => {
  it('is joining, never joined, from authentication until `joined` arrives', async () => {
    const server = mockServer({ protocol: 'v2' })
    const client = mockClient(server.url, { autoJoinRooms: ['lobby'] })
    const seen: string[] = []
    client.subscribe(() => {
      const snapshot = client.getSnapshot()
      if (snapshot.state === 'authenticated') seen.push(getRoomStatus(snapshot, 'lobby'))
    })
    await client.connect()
    await until(() => seen.includes('joined'))
    expect(seen[0]).toBe('joining')
  })
})
