import type { ResumeRequest } from '@encrypted-socket/core'
import type { ServerConnection } from '../connection'
import { refuseJoinOf } from '../roomAuthorization'
import type { DeliveryCounters } from '../delivery/deliveryStats'
import type { RoomEntry, RoomPosition } from '../delivery/roomLog'
import type { RoomCursor, Session } from '../delivery/session'

/**
 * Moves the cursor to a live entry; false when the entry was sent already (at or below the
 * cursor, in its epoch), as when it arrived while a replay up to it was being read.
 */
export function advance(cursor: RoomCursor, entry: RoomEntry): boolean {
  if (entry.epoch === cursor.epoch && entry.seq <= cursor.seq) return false
  cursor.epoch = entry.epoch
  cursor.seq = entry.seq
  return true
}

/** Ends a replay at `position`: returns the live entries held meanwhile that follow it. */
export function release(cursor: RoomCursor, position: RoomPosition): RoomEntry[] {
  const held = cursor.held ?? []
  cursor.held = null
  cursor.epoch = position.epoch
  cursor.seq = position.seq
  return held.filter((entry) => advance(cursor, entry))
}

/** The rooms a resumed session holds: what `ready.rooms` says of each, and what to replay. */
export interface ReopenedRooms {
  positions: Record<string, RoomPosition & { recovered: boolean }>
  missed: Map<string, RoomEntry[]>
}

/**
 * Joins the connection to the rooms its resumed session holds (their live messages held
 * meanwhile) and reads what each missed since the position the client named: `recovered: false`
 * for a room it did not name, or named in another epoch. Rooms it named that the session does
 * not hold are not joined, and neither are those `authorizeJoin` now refuses.
 */
export async function reopenRooms(
  connection: ServerConnection,
  session: Session,
  named: ResumeRequest['rooms'],
): Promise<ReopenedRooms> {
  const rooms: string[] = []
  for (const room of session.rooms.keys()) {
    // Asked again: a right to a room may have been withdrawn while the client was away. A room
    // refused here is not held: the client joins it again and is told why.
    if (await refuseJoinOf(connection, room, true)) session.leaveRoom(room)
    else rooms.push(room)
  }
  for (const room of rooms) {
    session.rooms.get(room)!.held = []
    connection.rooms.add(room)
  }
  connection.host.onRoomChange(connection, 'join', rooms)
  const reopened: ReopenedRooms = { positions: {}, missed: new Map() }
  for (const room of rooms) {
    const from = Object.hasOwn(named, room) ? named[room] : undefined
    const { epoch, seq, missed } = await connection.host.roomLog.read(room, from)
    countRecovery(connection.host.counters, missed)
    reopened.positions[room] = { epoch, seq, recovered: missed !== null }
    reopened.missed.set(room, missed ?? [])
  }
  return reopened
}

export function countRecovery(counters: DeliveryCounters, missed: RoomEntry[] | null): void {
  if (missed) counters.roomsRecovered++
  else counters.roomsNotRecovered++
}
