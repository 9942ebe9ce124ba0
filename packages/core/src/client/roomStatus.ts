// How one room is doing, read from the snapshot: joined, joining (waiting for the connection) or left.
import type { ClientSnapshot } from '../types'

/**
 * A room's membership as the application sees it: `joined` while authenticated and in the room,
 * `joining` while in the room but waiting for the connection, `left` otherwise.
 */
export type RoomStatus = 'joined' | 'joining' | 'left'

export function getRoomStatus(snapshot: ClientSnapshot, room: string): RoomStatus {
  if (!snapshot.rooms.includes(room)) return 'left'
  return snapshot.state === 'authenticated' ? 'joined' : 'joining'
}
