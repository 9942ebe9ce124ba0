// What the server answered about the rooms: let in on this connection, or refused (kept across reconnects).
import type { RoomDenial } from '../types'

/**
 * The server's answers about the rooms the application holds. `joined` lasts one connection;
 * a refusal lasts until the room is released or joined anew, so a reconnect does not ask again.
 */
export class RoomAnswers {
  readonly #joined = new Set<string>()
  readonly #denied = new Map<string, RoomDenial>()

  joined(room: string): void {
    this.#joined.add(room)
    this.#denied.delete(room)
  }

  denied(room: string, denial: RoomDenial): void {
    this.#denied.set(room, denial)
    this.#joined.delete(room)
  }

  isDenied(room: string): boolean {
    return this.#denied.has(room)
  }

  /** The rooms to ask for again (joined anew): their refusal is forgotten. Returns those that had one. */
  retry(rooms: readonly string[]): string[] {
    return rooms.filter((room) => this.#denied.delete(room))
  }

  /** A new connection: nothing is joined yet but `rooms` (a resumed session's, or v1's optimism). */
  connectionStarted(rooms: readonly string[]): void {
    this.#joined.clear()
    for (const room of rooms) this.joined(room)
  }

  connectionEnded(): void {
    this.#joined.clear()
  }

  /** Forgets everything about rooms the application no longer holds. */
  released(rooms: readonly string[]): void {
    for (const room of rooms) {
      this.#joined.delete(room)
      this.#denied.delete(room)
    }
  }

  clear(): void {
    this.#joined.clear()
    this.#denied.clear()
  }

  /** The snapshot's `joinedRooms` and `deniedRooms` for the rooms held (`held`, sorted). */
  view(held: readonly string[]): { joinedRooms: string[]; deniedRooms: Record<string, RoomDenial> } {
    const deniedRooms: Record<string, RoomDenial> = {}
    for (const room of held) {
      const denial = this.#denied.get(room)
      if (denial) deniedRooms[room] = denial
    }
    return { joinedRooms: held.filter((room) => this.#joined.has(room)), deniedRooms }
  }
}
