// v2: a session lasts as long as its token; a fresh one is sent in band before it expires (§5).

/** How long before expiry the token is refreshed, unless half the lifetime left is shorter. */
const REFRESH_AHEAD_MS = 60_000
/** Longer delays overflow setTimeout (they would fire at once); an early refresh is harmless. */
const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * Ms from now until the refresh: 60 s before `expiresAt`, or at half the remaining lifetime if
 * that is shorter. Both times are the server's clock (`serverNow` is its time now), so a device
 * clock that is off does not move the refresh.
 */
export function refreshDelay(expiresAt: number, serverNow: number): number {
  const remaining = Math.max(0, expiresAt - serverNow)
  return Math.min(MAX_TIMER_MS, remaining - Math.min(REFRESH_AHEAD_MS, remaining / 2))
}

/** Schedules the refreshes of one connection's token; `refresh` sends the fresh one. */
export class TokenRefresh {
  readonly #refresh: () => void
  /** The server's clock minus ours, from `ready.time`. */
  #skew = 0
  #timer: ReturnType<typeof setTimeout> | undefined

  constructor(refresh: () => void) {
    this.#refresh = refresh
  }

  /** `ready`: the token's expiry (none: nothing to refresh) and the server's time, if told. */
  start(expiresAt: number | undefined, serverTime: number | undefined): void {
    if (serverTime !== undefined) this.#skew = serverTime - Date.now()
    this.renewed(expiresAt)
  }

  /** `token_ok`: the new expiry (none: the new token does not expire). */
  renewed(expiresAt: number | undefined): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    if (expiresAt === undefined) return
    this.#timer = setTimeout(this.#refresh, refreshDelay(expiresAt, Date.now() + this.#skew))
  }

  stop(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
  }
}
