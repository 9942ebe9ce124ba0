/** Room names are 1 to 128 characters; a connection is in at most 100 rooms (v1 and v2 alike). */
export const MAX_ROOM_NAME = 128
export const MAX_ROOMS = 100

/** Why `room` cannot be joined by a connection in `rooms`, or null when it can (or already is in it). */
export function roomRefusal(
  rooms: ReadonlySet<string>,
  room: string,
): { code: 'BAD_ROOM' | 'TOO_MANY_ROOMS'; message: string } | null {
  if (room.length === 0 || room.length > MAX_ROOM_NAME) {
    return { code: 'BAD_ROOM', message: `A room name is 1 to ${MAX_ROOM_NAME} characters.` }
  }
  if (!rooms.has(room) && rooms.size >= MAX_ROOMS) {
    return { code: 'TOO_MANY_ROOMS', message: `A connection joins at most ${MAX_ROOMS} rooms.` }
  }
  return null
}

/**
 * The members of each room on this instance, and each room's epoch: a random id that lives as
 * long as the room has members here (there is no room history yet, so a room that empties
 * restarts with a new epoch).
 */
export class RoomRegistry<Member> {
  readonly #rooms = new Map<string, { members: Set<Member>; epoch: string }>()

  join(room: string, member: Member): void {
    let entry = this.#rooms.get(room)
    if (!entry) this.#rooms.set(room, (entry = { members: new Set(), epoch: crypto.randomUUID() }))
    entry.members.add(member)
  }

  leave(room: string, member: Member): void {
    const entry = this.#rooms.get(room)
    if (!entry) return
    entry.members.delete(member)
    if (entry.members.size === 0) this.#rooms.delete(room)
  }

  members(room: string): Member[] {
    return [...(this.#rooms.get(room)?.members ?? [])]
  }

  epoch(room: string): string | undefined {
    return this.#rooms.get(room)?.epoch
  }

  *entries(): IterableIterator<[string, ReadonlySet<Member>]> {
    for (const [room, { members }] of this.#rooms) yield [room, members]
  }
}
