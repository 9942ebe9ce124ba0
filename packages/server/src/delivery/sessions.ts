import type { ResumeRequest } from '@encrypted-socket/core'
import type { DeliveryCounters } from './deliveryStats'
import { Session, type SessionOwner } from './session'
import type { SessionStore } from './sessionStore'

export interface SessionLimits {
  /** How long a session waits for a resume after its connection ended, in ms. */
  resumeWindow: number
  /** Unacknowledged session-stream messages held per session. */
  resumeMaxMessages: number
  resumeMaxBytes: number
  /** Sessions per user waiting for a resume; beyond, the oldest is dropped. */
  waitingPerUser: number
  now: () => number
}

/** Why a resume was refused (logged; the client gets a new session either way). */
export type ResumeRefusal = 'unknown' | 'another-user' | 'expired' | 'seq-beyond' | 'overflowed'

/**
 * The v2 sessions of this server: opened at `ready`, found again by a resume within
 * `resumeWindow` after their connection ended, reached by `sendToUser` even while waiting, and
 * forgotten when the window ends.
 */
export class Sessions {
  readonly #store: SessionStore
  readonly #limits: SessionLimits
  readonly #counters: DeliveryCounters

  constructor(store: SessionStore, limits: SessionLimits, counters: DeliveryCounters) {
    this.#store = store
    this.#limits = limits
    this.#counters = counters
  }

  /** A new session of `userId`. */
  open(userId: string): Session {
    const session = new Session(userId, this.#limits.resumeMaxMessages, this.#counters)
    session.maxBytes = this.#limits.resumeMaxBytes
    this.#store.add(session)
    return session
  }

  /** The session a resume asks for, if it may resume it; else why not. */
  async find(request: ResumeRequest, userId: string): Promise<Session | ResumeRefusal> {
    const session = await this.#store.get(request.session, userId)
    if (!session || session.forgotten) return 'unknown'
    if (session.userId !== userId) return 'another-user'
    if (this.#expired(session, this.#limits.now())) {
      this.#forget(session)
      return 'expired'
    }
    if (request.seq > session.lastSeq) return 'seq-beyond'
    if (request.seq < session.floor) return 'overflowed'
    return session
  }

  /** `owner`'s connection ended: the session waits for a resume (the user's oldest waiting beyond the bound are dropped). */
  end(session: Session, owner: SessionOwner): void {
    if (!session.detach(owner, this.#limits.now())) return
    const waiting = [...this.#store.ofUser(session.userId)].filter((s) => s.owner === null)
    waiting.sort((a, b) => a.endedAt! - b.endedAt!)
    for (const oldest of waiting.slice(0, Math.max(0, waiting.length - this.#limits.waitingPerUser))) {
      this.#counters.sessionsEvicted++
      this.#forget(oldest)
    }
  }

  /** Adds a message to every session of the user; returns how many are attached to a connection. */
  toUser(userId: string, plaintext: (seq: number) => Uint8Array): number {
    let attached = 0
    for (const session of [...this.#store.ofUser(userId)]) {
      if (session.handingOff) continue // its next instance has it
      if (session.push(plaintext) && session.owner) attached++
    }
    return attached
  }

  /**
   * Forgets every session of the user held here, attached or waiting (`disconnectUser`): none can
   * be resumed, and with a shared store it is deleted there too. Returns how many.
   */
  dropUser(userId: string): number {
    const sessions = [...this.#store.ofUser(userId)]
    for (const session of sessions) {
      this.#store.delete(session)
      session.forget()
    }
    return sessions.length
  }

  /** Forgets the sessions whose window ended. */
  sweep(): void {
    const now = this.#limits.now()
    for (const session of [...this.#store.all()]) if (this.#expired(session, now)) this.#forget(session)
  }

  /** The rooms some session holds (their streams must not restart). */
  roomsHeld(): Set<string> {
    const rooms = new Set<string>()
    for (const session of this.#store.all()) for (const room of session.rooms.keys()) rooms.add(room)
    return rooms
  }

  /** Sessions held, waiting, and their unacknowledged messages. */
  size(): { sessions: number; waiting: number; unacknowledged: number } {
    let sessions = 0
    let waiting = 0
    let unacknowledged = 0
    for (const session of this.#store.all()) {
      sessions++
      if (!session.owner) waiting++
      unacknowledged += session.unacknowledged
    }
    return { sessions, waiting, unacknowledged }
  }

  #expired(session: Session, now: number): boolean {
    return session.endedAt !== null && now - session.endedAt >= this.#limits.resumeWindow
  }

  #forget(session: Session): void {
    this.#store.delete(session)
    this.#counters.droppedAtWindowEnd += session.forget()
  }
}
