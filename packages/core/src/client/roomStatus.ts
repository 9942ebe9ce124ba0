// How one room is doing, read from the snapshot: joined, joining, denied, offline or left.
import type { ClientSnapshot, RoomDenial } from '../types'

/**
 * A room's membership as the application sees it: `joined` while authenticated and the server
 * let this connection in (v2 confirms every join; v1 confirms nothing); `joining` while in the
 * room and a connection or the server's answer is awaited; `denied` when the server refused it
 * (the reason: `getRoomDenial`); `offline` while in the room but disconnected and not trying
 * (before `connect()`, after `disconnect()` or a give-up: the room is joined again on the next
 * `connect()` or `reconnect()`); `left` otherwise.
 */
export type RoomStatus = 'joined' | 'joining' | 'denied' | 'offline' | 'left'

export function getRoomStatus(snapshot: ClientSnapshot, room: string): RoomStatus {
  if (!snapshot.rooms.includes(room)) return 'left'
  if (Object.hasOwn(snapshot.deniedRooms, room)) return 'denied'
  if (snapshot.state === 'authenticated') return snapshot.joinedRooms.includes(room) ? 'joined' : 'joining'
  return snapshot.state === 'disconnected' ? 'offline' : 'joining'
}

/** Why the server refused `room`, while the application is in it; null otherwise. */
export function getRoomDenial(snapshot: ClientSnapshot, room: string): RoomDenial | null {
  return Object.hasOwn(snapshot.deniedRooms, room) ? snapshot.deniedRooms[room]! : null
}
