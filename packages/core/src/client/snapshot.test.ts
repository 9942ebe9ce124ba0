import { describe, expect, it } from 'vitest'
import { INITIAL_SNAPSHOT, nextSnapshot } from './snapshot'

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
