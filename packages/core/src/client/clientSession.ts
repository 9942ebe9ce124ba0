// A v2 session as the client keeps it across connections (PROTOCOL-v2.md §6): its id, the last
// message of the session stream delivered, each room stream's position, and the client's own
// message numbers. A resume names all of it; a new session starts every count again.
import type { ResumeRequest, RoomPosition } from '../protocol/v2/messages'

/** What to do with an arriving numbered message. */
export type Arrival = 'deliver' | 'duplicate' | 'gap'

export interface SessionStart {
  /** A session existed and could not be resumed: what happened meanwhile is unknown. */
  lost: boolean
  /** Rooms the resumed session holds whose missed messages are gone (`recovered: false`). */
  roomGaps: string[]
  /** Rooms the resumed session holds (the others must be joined again). */
  held: string[]
}

export class ClientSession {
  #id: string | null = null
  /** The last session-stream seq delivered to the application. */
  #delivered = 0
  /** The last client seq written in this session. */
  sent = 0
  readonly #rooms = new Map<string, { epoch: string; seq: number }>()

  get id(): string | null {
    return this.#id
  }

  get delivered(): number {
    return this.#delivered
  }

  /** The `auth.resume` for the next connection, once a session exists. */
  resumeRequest(): ResumeRequest | undefined {
    if (this.#id === null) return undefined
    return { session: this.#id, seq: this.#delivered, rooms: Object.fromEntries(this.#rooms) }
  }

  /**
   * `ready` arrived: the same session resumed, or a new one. A resumed room that `recovered`
   * keeps the client's position (its missed messages follow); one that did not starts at the
   * server's.
   */
  start(id: string, resumed: boolean, rooms: Record<string, RoomPosition>): SessionStart {
    const lost = !resumed && this.#id !== null
    this.#id = id
    if (!resumed) {
      this.#delivered = 0
      this.sent = 0
      return { lost, roomGaps: [], held: [] }
    }
    const roomGaps: string[] = []
    for (const [room, { epoch, seq, recovered }] of Object.entries(rooms)) {
      if (recovered && this.#rooms.get(room)?.epoch === epoch) continue
      if (this.#rooms.has(room)) roomGaps.push(room)
      this.#rooms.set(room, { epoch, seq })
    }
    return { lost, roomGaps, held: Object.keys(rooms) }
  }

  /** Where `room`'s stream stands, for `join.since`. */
  since(room: string): { epoch: string; seq: number } | undefined {
    return this.#rooms.get(room)
  }

  /** A session-stream message (a `msg` or `res` with `seq`, no room). */
  arriveOnSession(seq: number): Arrival {
    if (seq <= this.#delivered) return 'duplicate'
    const arrival = seq === this.#delivered + 1 ? 'deliver' : 'gap'
    this.#delivered = seq
    return arrival
  }

  /** A room-stream message; the first one of a room without a position starts it. */
  arriveInRoom(room: string, seq: number): Arrival {
    const position = this.#rooms.get(room)
    if (!position) return 'deliver'
    if (seq <= position.seq) return 'duplicate'
    const arrival = seq === position.seq + 1 ? 'deliver' : 'gap'
    position.seq = seq
    return arrival
  }

  /**
   * `joined`: with `recovered`, the messages after the client's position follow; otherwise the
   * stream stands at `seq` of `epoch`. True when messages the client had asked for are gone.
   */
  joined(room: string, epoch: string, seq: number, recovered: boolean | undefined): boolean {
    if (recovered && this.#rooms.get(room)?.epoch === epoch) return false
    this.#rooms.set(room, { epoch, seq })
    return recovered === false
  }

  left(room: string): void {
    this.#rooms.delete(room)
  }
}
