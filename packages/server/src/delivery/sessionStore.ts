import type { Session } from './session'

/**
 * Where sessions are kept between connections (PROTOCOL-v2.md §6). In memory today
 * (`MemorySessionStore`): a session lives in the process that holds its connection, and a resume
 * works on that instance only.
 *
 * A shared implementation (Redis, later) must: write each session-stream message, acknowledgement,
 * processed client seq and room position through to the store in order (so that any instance can
 * resume it, even after this one died); load a session by id for a resume and claim it atomically
 * (two instances cannot both resume one session), telling the instance of a connection still
 * attached to close it with 4009 and to finish the message it is processing before the claim
 * reads the last processed seq; index sessions by user (for `sendToUser` while disconnected); and
 * expire a session `resumeWindow` after its connection ended (a TTL), with the per-user bound.
 */
export interface SessionStore {
  add(session: Session): void
  /**
   * The session with this id, if held (its window may have ended: the caller checks), for a
   * resume by `userId` (a shared store loads and claims it only for its own user).
   */
  get(id: string, userId: string): Promise<Session | undefined>
  /** The user's sessions held here. */
  ofUser(userId: string): Iterable<Session>
  delete(session: Session): void
  all(): Iterable<Session>
}

export class MemorySessionStore implements SessionStore {
  readonly #sessions = new Map<string, Session>()
  readonly #users = new Map<string, Set<Session>>()

  add(session: Session): void {
    this.#sessions.set(session.id, session)
    let sessions = this.#users.get(session.userId)
    if (!sessions) this.#users.set(session.userId, (sessions = new Set()))
    sessions.add(session)
  }

  get(id: string, _userId?: string): Promise<Session | undefined> {
    return Promise.resolve(this.#sessions.get(id))
  }

  /** The session with this id, if held here. */
  peek(id: string): Session | undefined {
    return this.#sessions.get(id)
  }

  ofUser(userId: string): Iterable<Session> {
    return this.#users.get(userId) ?? []
  }

  delete(session: Session): void {
    this.#sessions.delete(session.id)
    const sessions = this.#users.get(session.userId)
    sessions?.delete(session)
    if (sessions?.size === 0) this.#users.delete(session.userId)
  }

  all(): Iterable<Session> {
    return this.#sessions.values()
  }
}
