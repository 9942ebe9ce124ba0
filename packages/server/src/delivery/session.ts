import type { RoomEntry } from './roomLog'

/** A message on a session stream: its seq and the record plaintext that carries it. */
export interface SessionEntry {
  readonly seq: number
  readonly plaintext: Uint8Array
}

/** The connection a session is attached to, as the session sees it. */
export interface SessionOwner {
  /** Messages were added to the session stream. */
  flush(): void
  /** Another connection resumed the session: this one closes with 4009. */
  supersede(): void
}

/**
 * A room of the session: the room stream's epoch and the last seq sent, and, while a replay is
 * being read, the live entries that arrive meanwhile (`held`).
 */
export interface RoomCursor {
  epoch: string
  seq: number
  held: RoomEntry[] | null
}

/**
 * Where a session's changes are written through, in order, for another instance to resume it
 * (a shared store; none in memory). Each call is fire-and-forget; `flushed` waits for them.
 */
export interface SessionJournal {
  pushed(entry: SessionEntry): void
  acknowledged(seq: number): void
  processed(seq: number): void
  roomJoined(room: string): void
  roomLeft(room: string): void
  attached(): void
  detached(at: number): void
  forgotten(): void
  flushed(): Promise<void>
}

/** What a session held, as a shared store gives it back to the instance that resumes it. */
export interface RestoredSession {
  id: string
  userId: string
  lastSeq: number
  lastProcessed: number
  endedAt: number | null
  unacked: SessionEntry[]
  rooms: string[]
}

/** Counts shared by every session (see DeliveryStats). */
/** `resumeMaxBytes`'s default: 8 MiB of unacknowledged session messages per session. */
export const DEFAULT_RESUME_MAX_BYTES = 8 * 2 ** 20

export interface SessionCounters {
  droppedOverflow: number
}

/**
 * One v2 session (PROTOCOL-v2.md §6): the session stream (seqs 1, 2, 3… and the messages not yet
 * acknowledged, at most `maxMessages`), the last client seq processed, the rooms joined with their
 * positions, and the connection it is attached to, if any. It outlives its connections: a resume
 * attaches another.
 */
export class Session {
  readonly id: string
  readonly userId: string
  /** The last session-stream seq given out. */
  lastSeq = 0
  /** The last client seq processed. */
  lastProcessed = 0
  readonly rooms = new Map<string, RoomCursor>()
  owner: SessionOwner | null = null
  /** When its last connection ended; null while one is attached. */
  endedAt: number | null = null
  /** Forgotten (its window ended): nothing is added any more. */
  forgotten = false
  /** Being handed to another instance (a resume there): `sendToUser` here skips it. */
  handingOff = false
  /** Where changes are written through (a shared store), or null (in memory only). */
  journal: SessionJournal | null = null
  /** Unacknowledged messages, oldest first, with consecutive seqs ending at `lastSeq`. */
  readonly #unacked: SessionEntry[] = []
  /** Their plaintext bytes. */
  #bytes = 0
  /** At most this many bytes are held unacknowledged (`resumeMaxBytes`): a client that does not read cannot make the server hold `resumeMaxMessages` × `maxPayload`. */
  maxBytes = DEFAULT_RESUME_MAX_BYTES
  readonly #maxMessages: number
  readonly #counters: SessionCounters
  #inFlight: Promise<void> | null = null

  constructor(
    userId: string,
    maxMessages: number,
    counters: SessionCounters,
    id: string = crypto.randomUUID(),
  ) {
    this.id = id
    this.userId = userId
    this.#maxMessages = maxMessages
    this.#counters = counters
  }

  /** A session loaded from a shared store (a resume on another instance than the one that held it). */
  static restore(state: RestoredSession, maxMessages: number, counters: SessionCounters): Session {
    const session = new Session(state.userId, maxMessages, counters, state.id)
    session.lastSeq = state.lastSeq
    session.lastProcessed = state.lastProcessed
    session.endedAt = state.endedAt
    session.#unacked.push(...state.unacked.filter((entry) => entry.seq <= state.lastSeq))
    session.#bytes = session.#unacked.reduce((sum, entry) => sum + entry.plaintext.length, 0)
    for (const room of state.rooms) session.rooms.set(room, { epoch: '', seq: 0, held: null })
    return session
  }

  /** The highest seq no longer held: a resume from below it cannot be served. */
  get floor(): number {
    return this.lastSeq - this.#unacked.length
  }

  get unacknowledged(): number {
    return this.#unacked.length
  }

  /**
   * Adds a message with the next seq; the owner writes it. Beyond `maxMessages` the oldest is
   * dropped (counted): a resume from before it is refused, and a client that had not received it
   * sees a hole (a gap). False once forgotten.
   */
  push(plaintext: (seq: number) => Uint8Array): boolean {
    if (this.forgotten) return false
    const seq = ++this.lastSeq
    const entry = { seq, plaintext: plaintext(seq) }
    this.#unacked.push(entry)
    this.journal?.pushed(entry)
    this.owner?.flush()
    this.#bytes += entry.plaintext.length
    let excess = Math.max(0, this.#unacked.length - this.#maxMessages)
    let bytes = this.#bytes
    for (let i = 0; i < excess; i++) bytes -= this.#unacked[i]!.plaintext.length
    // The newest is always kept: it has not been written yet.
    while (excess < this.#unacked.length - 1 && bytes > this.maxBytes)
      bytes -= this.#unacked[excess++]!.plaintext.length
    if (excess > 0) this.#drop(excess)
    return true
  }

  /** Drops the oldest `count` unacknowledged messages, counted as overflow. */
  #drop(count: number): void {
    this.#forget(count)
    this.#counters.droppedOverflow += count
  }

  #forget(count: number): void {
    for (const entry of this.#unacked.splice(0, count)) this.#bytes -= entry.plaintext.length
  }

  /** The messages after `seq`, in order. */
  after(seq: number): SessionEntry[] {
    const first = this.#unacked[0]
    return first ? this.#unacked.slice(Math.max(0, seq + 1 - first.seq)) : []
  }

  /** The client delivered everything up to `seq` (cumulative); false when `seq` was never sent. */
  acknowledge(seq: number): boolean {
    if (seq > this.lastSeq) return false
    const first = this.#unacked[0]
    if (first && seq >= first.seq) {
      this.#forget(seq + 1 - first.seq)
      this.journal?.acknowledged(seq)
    }
    return true
  }

  /** Client seq `seq` was processed. */
  markProcessed(seq: number): void {
    this.lastProcessed = seq
    this.journal?.processed(seq)
  }

  joinRoom(room: string, cursor: RoomCursor): void {
    if (!this.rooms.has(room)) this.journal?.roomJoined(room)
    this.rooms.set(room, cursor)
  }

  leaveRoom(room: string): void {
    if (this.rooms.delete(room)) this.journal?.roomLeft(room)
  }

  /** Attaches a connection; one still attached is superseded (closed with 4009). */
  attach(owner: SessionOwner): void {
    const previous = this.owner
    this.owner = owner
    this.endedAt = null
    this.journal?.attached()
    if (previous && previous !== owner) previous.supersede()
  }

  /** `owner`'s connection ended at `at`; false when the session was not attached to it. */
  detach(owner: SessionOwner, at: number): boolean {
    if (this.owner !== owner) return false
    this.owner = null
    this.endedAt = at
    this.journal?.detached(at)
    for (const cursor of this.rooms.values()) cursor.held = null
    return true
  }

  /** Runs the processing of one client message; `settled` waits for it. */
  async process(task: () => Promise<void>): Promise<void> {
    const running = task()
    const tracked = running.then(
      () => undefined,
      () => undefined,
    )
    this.#inFlight = tracked
    try {
      await running
    } finally {
      if (this.#inFlight === tracked) this.#inFlight = null
    }
  }

  /** Resolves once no client message is being processed (a resume reads `lastProcessed` after it). */
  async settled(): Promise<void> {
    while (this.#inFlight) await this.#inFlight
  }

  /** Drops what is held; returns how many unacknowledged messages that was. */
  forget(): number {
    this.forgotten = true
    this.journal?.forgotten()
    const dropped = this.#unacked.length
    this.#unacked.length = 0
    this.#bytes = 0
    this.rooms.clear()
    return dropped
  }
}
