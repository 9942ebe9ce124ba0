import type { Answer } from './answer'

/** The connection that processed keys: they are remembered until `window` ms after it ended. */
export interface KeyHolder {
  endedAt: number | null
}

/** Whether a key is new (process it, then `settle`), or the earlier processing's answer (once it settled). */
export type KeyClaim = { first: true } | { first: false; answer: Promise<Answer> }

/**
 * The idempotency keys processed per user (PROTOCOL-v2.md §6, "exactly once across a lost
 * session"). In memory today (`MemoryKeyStore`). A shared implementation (Redis, later) must claim
 * a key atomically (SET NX of a pending marker), store the answer when it settles, let a second
 * claim wait for a pending one (e.g. poll or subscribe), and expire a key `window` after its
 * connection ended (a TTL set when the connection ends), with a per-user bound.
 */
export interface KeyStore {
  claim(userId: string, key: string, holder: KeyHolder): Promise<KeyClaim>
  /** The answer of a key that was claimed first (an empty answer for a message that was not a request). */
  settle(userId: string, key: string, answer: Answer): void
  /** The holder's connection ended (`endedAt` is set): its keys expire `window` from now. */
  ended?(holder: KeyHolder): void
}

interface KeyEntry {
  holder: KeyHolder
  answer: Promise<Answer>
  settle(answer: Answer): void
}

/**
 * Keys in this process: per user at most `perUser`, the oldest dropped first (a repeat of a
 * dropped key is processed again: keep `perUser` above what one user can have unacknowledged).
 */
export class MemoryKeyStore implements KeyStore {
  readonly #users = new Map<string, Map<string, KeyEntry>>()
  readonly #perUser: number
  readonly #window: number
  readonly #now: () => number

  constructor(perUser: number, window: number, now: () => number) {
    this.#perUser = perUser
    this.#window = window
    this.#now = now
  }

  claim(userId: string, key: string, holder: KeyHolder): Promise<KeyClaim> {
    let keys = this.#users.get(userId)
    const earlier = keys?.get(key)
    if (earlier && !this.#expired(earlier, this.#now()))
      return Promise.resolve({ first: false, answer: earlier.answer })
    if (this.#perUser === 0) return Promise.resolve({ first: true })
    if (!keys) this.#users.set(userId, (keys = new Map()))
    keys.delete(key)
    let settle: (answer: Answer) => void = () => undefined
    const answer = new Promise<Answer>((resolve) => (settle = resolve))
    keys.set(key, { holder, answer, settle })
    while (keys.size > this.#perUser) keys.delete(keys.keys().next().value!)
    return Promise.resolve({ first: true })
  }

  settle(userId: string, key: string, answer: Answer): void {
    this.#users.get(userId)?.get(key)?.settle(answer)
  }

  /** Forgets the keys whose window ended. */
  sweep(): void {
    const now = this.#now()
    for (const [userId, keys] of this.#users) {
      for (const [key, entry] of keys) if (this.#expired(entry, now)) keys.delete(key)
      if (keys.size === 0) this.#users.delete(userId)
    }
  }

  /** Keys remembered over all users. */
  get size(): number {
    let size = 0
    for (const keys of this.#users.values()) size += keys.size
    return size
  }

  #expired(entry: KeyEntry, now: number): boolean {
    return entry.holder.endedAt !== null && now - entry.holder.endedAt >= this.#window
  }
}
