// The rooms the application holds, by `joinRooms()` and by `joinRoom()` handles.
/**
 * The rooms the application is in. A room is held by `joinRooms()` (until `leaveRooms()`) and
 * by every unreleased `joinRoom()` handle; it is left when nothing holds it any more.
 */
export class RoomRegistry {
  readonly #explicit = new Set<string>()
  readonly #handles = new Map<string, number>()

  /** Holds the rooms through `joinRooms()`. Returns the rooms that were not held before. */
  joinExplicit(rooms: readonly string[]): string[] {
    const added = rooms.filter((room) => !this.has(room))
    for (const room of rooms) this.#explicit.add(room)
    return unique(added)
  }

  /** Drops the `joinRooms()` hold. Returns the rooms that nothing holds any more. */
  leaveExplicit(rooms: readonly string[]): string[] {
    const released = rooms.filter((room) => this.#explicit.delete(room) && !this.has(room))
    return unique(released)
  }

  /** Adds one handle on the room. Returns true when the room was not held before. */
  acquire(room: string): boolean {
    const wasHeld = this.has(room)
    this.#handles.set(room, (this.#handles.get(room) ?? 0) + 1)
    return !wasHeld
  }

  /** Removes one handle. Returns true when nothing holds the room any more. */
  release(room: string): boolean {
    const count = this.#handles.get(room) ?? 0
    if (count <= 1) this.#handles.delete(room)
    else this.#handles.set(room, count - 1)
    return count > 0 && !this.has(room)
  }

  has(room: string): boolean {
    return this.#explicit.has(room) || this.#handles.has(room)
  }

  /** Every held room, sorted. */
  list(): string[] {
    return [...new Set([...this.#explicit, ...this.#handles.keys()])].sort()
  }

  clear(): void {
    this.#explicit.clear()
    this.#handles.clear()
  }
}

function unique(rooms: string[]): string[] {
  return [...new Set(rooms)]
}
