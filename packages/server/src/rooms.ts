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

/** The members of each room on this instance (the room streams live in the RoomLog). */
export class RoomRegistry<Member> {
  readonly #rooms = new Map<string, Set<Member>>()

  join(room: string, member: Member): void {
    let members = this.#rooms.get(room)
    if (!members) this.#rooms.set(room, (members = new Set()))
    members.add(member)
  }

  leave(room: string, member: Member): void {
    const members = this.#rooms.get(room)
    if (!members) return
    members.delete(member)
    if (members.size === 0) this.#rooms.delete(room)
  }

  members(room: string): Member[] {
    return [...(this.#rooms.get(room) ?? [])]
  }

  has(room: string): boolean {
    return this.#rooms.has(room)
  }

  entries(): IterableIterator<[string, ReadonlySet<Member>]> {
    return this.#rooms.entries()
  }
}
