import { describe, expect, it } from 'vitest'
import { EncryptedSocketError } from '../errors'
import type { ClientSnapshot } from '../types'
import { INITIAL_SNAPSHOT, nextSnapshot, reduce, SNAPSHOT_FIELDS, type SnapshotAction } from './snapshot'

describe('nextSnapshot', () => {
  it('returns the same object when nothing changed', () => {
    expect(nextSnapshot(INITIAL_SNAPSHOT, { state: 'disconnected', rooms: [] })).toBe(INITIAL_SNAPSHOT)
  })

  it('returns a new frozen object when a field changed', () => {
    const next = nextSnapshot(INITIAL_SNAPSHOT, { state: 'connecting' })
    expect(next).not.toBe(INITIAL_SNAPSHOT)
    expect(next.state).toBe('connecting')
    expect(Object.isFrozen(next)).toBe(true)
    expect(next.rooms).toBe(INITIAL_SNAPSHOT.rooms)
  })

  it('compares room lists by content and freezes a new one', () => {
    const withRooms = nextSnapshot(INITIAL_SNAPSHOT, { rooms: ['a', 'b'] })
    expect(Object.isFrozen(withRooms.rooms)).toBe(true)
    expect(nextSnapshot(withRooms, { rooms: ['a', 'b'] })).toBe(withRooms)
    expect(nextSnapshot(withRooms, { rooms: ['a'] }).rooms).toEqual(['a'])
  })
})

describe('reduce', () => {
  const error = new EncryptedSocketError('ERR_CONNECTION_CLOSED', 'Connection closed (1006).')
  const earlier = new EncryptedSocketError('ERR_DECRYPT', 'Dropped a frame.')
  const base = (fields: Partial<ClientSnapshot>): ClientSnapshot =>
    Object.freeze({ ...INITIAL_SNAPSHOT, ...fields })
  const session = {
    clientId: 'c1',
    userId: 'ana',
    encrypted: true,
    protocol: 'v2',
    resumed: true,
    joinedRooms: ['a'],
  } as const
  const denial = { code: 'FORBIDDEN', message: 'Not yours.' }

  type Row = [
    name: string,
    before: Partial<ClientSnapshot>,
    action: SnapshotAction,
    after: Partial<ClientSnapshot>,
  ]
  const table: Row[] = [
    [
      'connect from disconnected resets the retries',
      { retryCount: 3, nextRetryAt: 5 },
      { type: 'CONNECT' },
      { state: 'connecting', retryCount: 0, nextRetryAt: null },
    ],
    ['the socket opens', { state: 'connecting' }, { type: 'SOCKET_OPEN' }, { state: 'authenticating' }],
    [
      'authenticated: the session, retries reset, the last error cleared',
      { state: 'authenticating', retryCount: 2, lastError: earlier },
      { type: 'AUTHENTICATED', ...session },
      { state: 'authenticated', ...session, retryCount: 0, nextRetryAt: null, lastError: null },
    ],
    [
      'lost, with a retry planned: the session is cleared, the time is set',
      { state: 'authenticated', ...session },
      { type: 'CONNECTION_LOST', nextRetryAt: 1234 },
      {
        state: 'reconnecting',
        clientId: null,
        userId: null,
        encrypted: false,
        protocol: null,
        resumed: false,
        joinedRooms: [],
        nextRetryAt: 1234,
      },
    ],
    [
      'a counted retry',
      { state: 'reconnecting', retryCount: 1, nextRetryAt: 99 },
      { type: 'RETRY', counted: true },
      { state: 'connecting', retryCount: 2, nextRetryAt: null },
    ],
    [
      'a re-key is not a retry',
      { state: 'reconnecting', retryCount: 1 },
      { type: 'RETRY', counted: false },
      { state: 'connecting', retryCount: 1 },
    ],
    [
      'offline: the retry waits for the online event',
      { state: 'reconnecting', nextRetryAt: 99 },
      { type: 'RETRY_DEFERRED' },
      { state: 'reconnecting', nextRetryAt: null },
    ],
    [
      'give up: the error stays, the session goes',
      { state: 'reconnecting', nextRetryAt: 99, retryCount: 5 },
      { type: 'GIVE_UP', error },
      { state: 'disconnected', lastError: error, nextRetryAt: null, retryCount: 5 },
    ],
    [
      'give up before any socket (no Web Crypto): the error is still shown',
      {},
      { type: 'GIVE_UP', error },
      { state: 'disconnected', lastError: error },
    ],
    [
      'disconnect: everything but the last error and the rooms is reset',
      { state: 'authenticated', ...session, retryCount: 2, lastError: earlier, rooms: ['a'] },
      { type: 'DISCONNECT' },
      {
        state: 'disconnected',
        clientId: null,
        userId: null,
        encrypted: false,
        protocol: null,
        resumed: false,
        retryCount: 0,
        nextRetryAt: null,
        lastError: earlier,
        rooms: ['a'],
        joinedRooms: [],
      },
    ],
    [
      'a report sets only the last error',
      { state: 'authenticated', ...session },
      { type: 'REPORT', error: earlier },
      { state: 'authenticated', ...session, lastError: earlier },
    ],
    [
      'rooms, and what the server answered about them',
      {},
      { type: 'ROOMS', rooms: ['a', 'b'], joinedRooms: ['a'], deniedRooms: { b: denial } },
      { rooms: ['a', 'b'], joinedRooms: ['a'], deniedRooms: { b: denial } },
    ],
  ]

  it.each(table)('%s', (_name, before, action, after) => {
    const next = reduce(base(before), action)
    expect(next).toEqual(base({ ...before, ...after }))
    expect(Object.isFrozen(next)).toBe(true)
  })

  it('returns the same snapshot when an action changes nothing', () => {
    const authenticated = base({ state: 'authenticated', ...session, rooms: ['a'] })
    expect(reduce(authenticated, { type: 'SOCKET_OPEN' })).toBe(authenticated)
    expect(reduce(authenticated, { type: 'ROOMS', rooms: ['a'], joinedRooms: ['a'], deniedRooms: {} })).toBe(
      authenticated,
    )
    const denied = reduce(authenticated, {
      type: 'ROOMS',
      rooms: ['a'],
      joinedRooms: [],
      deniedRooms: { a: denial },
    })
    expect(
      reduce(denied, { type: 'ROOMS', rooms: ['a'], joinedRooms: [], deniedRooms: { a: { ...denial } } }),
    ).toBe(denied)
    expect(reduce(INITIAL_SNAPSHOT, { type: 'DISCONNECT' })).toBe(INITIAL_SNAPSHOT)
  })

  it('lists every field once in SNAPSHOT_FIELDS', () => {
    expect([...SNAPSHOT_FIELDS].sort()).toEqual(Object.keys(INITIAL_SNAPSHOT).sort())
  })
})
