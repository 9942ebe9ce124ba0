// v2: a session ends with its token unless a fresh one arrives in band first (PROTOCOL-v2.md §5).

/** Longer delays overflow setTimeout (it would fire at once): the timer is set again instead. */
const MAX_TIMER_MS = 2 ** 31 - 1

/** Calls `expired` once the token's `expiresAt` (ms since the epoch, on `now`'s clock) has passed. */
export class TokenExpiry {
  readonly #expired: () => void
  readonly #now: () => number
  #timer: ReturnType<typeof setTimeout> | undefined

  constructor(expired: () => void, now: () => number) {
    this.#expired = expired
    this.#now = now
  }

  /** The token now in use expires at `expiresAt` (undefined: never). */
  set(expiresAt: number | undefined): void {
    this.stop()
    if (expiresAt === undefined) return
    const delay = expiresAt - this.#now()
    this.#timer = setTimeout(
      () => (delay > MAX_TIMER_MS ? this.set(expiresAt) : this.#expired()),
      Math.max(0, Math.min(delay, MAX_TIMER_MS)),
    )
  }

  stop(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
  }
}
