/** One message of a room stream: its epoch and seq, when it was sent, and the v2 record plaintext (`msg` with `room` and `seq`). */
export interface RoomEntry {
  readonly epoch: string
  readonly seq: number
  readonly at: number
  readonly plaintext: Uint8Array
}

/** A position in a room stream. */
export interface RoomPosition {
  epoch: string
  seq: number
}

/** What a join or a resume learns of a room: its stream's epoch and last seq, and the messages missed. */
export interface RoomRead extends RoomPosition {
  /** The entries after the position asked for, when every one is still held; null when not (or none was asked). */
  missed: RoomEntry[] | null
}

/**
 * Where room streams live (PROTOCOL-v2.md §6): each room's seqs, allocated once per room, its
 * epoch, and a bounded history. In memory today (`MemoryRoomLog`, one instance). A shared
 * implementation (Redis, later) must: allocate a room's seq atomically across instances and store
 * the entry with it (e.g. one Lua script: INCR, RPUSH, LTRIM by count, PUBLISH); give each room's
 * history a random epoch when it starts (when its keys are created) and trim by count and age;
 * answer `read` from one consistent snapshot (epoch, last seq, entries); and deliver entries to
 * every instance in seq order (the connections hold live entries while a replay is read, and
 * drop those at or below the position they were given).
 */
/** What a room message says, for a store that keeps it without its seq (the seq is allocated there). */
export interface RoomContent {
  event: string
  data: unknown
}

export interface RoomLog {
  /**
   * The next message of `room`: allocates its seq and keeps it in the history. A shared store
   * keeps `content` (sealed) and delivers the entry to every instance itself.
   */
  append(room: string, plaintext: (seq: number) => Uint8Array, content?: RoomContent): Promise<RoomEntry>
  /** The room's position (starting its stream if it has none) and, given `from`, what followed it. */
  read(room: string, from?: RoomPosition): Promise<RoomRead>
}

export interface RoomHistoryLimits {
  /** Entries kept per room (0: none). */
  count: number
  /** How long an entry is kept, in ms (0: not at all). */
  maxAge: number
}

interface RoomStream extends RoomPosition {
  entries: RoomEntry[]
}

/**
 * Room streams in this process. A room's stream (its epoch and seq counter) lives while its
 * history holds entries or something holds the room (`sweep`'s `inUse`): forgotten, it restarts
 * with a new epoch, and a client's `since` of the old one is answered `recovered: false`.
 */
export class MemoryRoomLog implements RoomLog {
  readonly #rooms = new Map<string, RoomStream>()
  readonly #limits: RoomHistoryLimits
  readonly #now: () => number

  constructor(limits: RoomHistoryLimits, now: () => number) {
    this.#limits = limits
    this.#now = now
  }

  append(room: string, plaintext: (seq: number) => Uint8Array): Promise<RoomEntry> {
    const stream = this.#stream(room)
    const seq = ++stream.seq
    const entry: RoomEntry = { epoch: stream.epoch, seq, at: this.#now(), plaintext: plaintext(seq) }
    if (this.#limits.count > 0 && this.#limits.maxAge > 0) stream.entries.push(entry)
    this.#trim(stream)
    return Promise.resolve(entry)
  }

  read(room: string, from?: RoomPosition): Promise<RoomRead> {
    const stream = this.#stream(room)
    this.#trim(stream)
    const { epoch, seq } = stream
    return Promise.resolve({ epoch, seq, missed: from ? this.#after(stream, from) : null })
  }

  /** Forgets the streams with no history left that nothing holds. */
  sweep(inUse: (room: string) => boolean): void {
    for (const [room, stream] of this.#rooms) {
      this.#trim(stream)
      if (stream.entries.length === 0 && !inUse(room)) this.#rooms.delete(room)
    }
  }

  /** Rooms with a stream, and the entries held over all of them. */
  get size(): { rooms: number; entries: number } {
    let entries = 0
    for (const stream of this.#rooms.values()) entries += stream.entries.length
    return { rooms: this.#rooms.size, entries }
  }

  #stream(room: string): RoomStream {
    let stream = this.#rooms.get(room)
    if (!stream) this.#rooms.set(room, (stream = { epoch: crypto.randomUUID(), seq: 0, entries: [] }))
    return stream
  }

  /** Every entry after `from`, or null when the epoch differs or one of them is gone. */
  #after(stream: RoomStream, from: RoomPosition): RoomEntry[] | null {
    if (from.epoch !== stream.epoch || from.seq > stream.seq) return null
    if (from.seq === stream.seq) return []
    const first = stream.entries[0]
    if (!first || first.seq > from.seq + 1) return null
    return stream.entries.slice(from.seq + 1 - first.seq)
  }

  #trim(stream: RoomStream): void {
    const { entries } = stream
    const oldest = this.#now() - this.#limits.maxAge
    let drop = Math.max(0, entries.length - this.#limits.count)
    while (drop < entries.length && entries[drop]!.at < oldest) drop++
    if (drop > 0) entries.splice(0, drop)
  }
}
