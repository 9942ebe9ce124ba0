// How one room is doing, read from the snapshot: joined, joining, offline or left.
import type { ClientSnapshot } from '../types'

/**
 * A room's membership as the application sees it: `joined` while authenticated and in the room;
 * `joining` while in the room and a connection is being made; `offline` while in the room but
 * disconnected and not trying (before `connect()`, after `disconnect()` or a give-up: the room
 * is joined again on the next `connect()` or `reconnect()`); `left` otherwise.
 */
export type RoomStatus = 'joined' | 'joining' | 'offline' | 'left'

export function getRoomStatus(snapshot: ClientSnapshot, room: string): RoomStatus {
  if (!snapshot.rooms.includes(room)) return 'left'
  if (snapshot.state === 'authenticated') return 'joined'
  return snapshot.state === 'disconnected' ? 'offline' : 'joining'
}
