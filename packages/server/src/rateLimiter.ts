/** A token bucket: `perSecond` messages on average, bursts up to `burst`. */
export class RateLimiter {
  readonly #perSecond: number
  readonly #burst: number
  #tokens: number
  #updatedAt: number

  constructor(perSecond: number, burst: number, now = Date.now()) {
    this.#perSecond = perSecond
    this.#burst = burst
    this.#tokens = burst
    this.#updatedAt = now
  }

  /** Takes one token; false when the bucket is empty (the message should be dropped). */
  take(now = Date.now()): boolean {
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#updatedAt) / 1000) * this.#perSecond)
    this.#updatedAt = now
    if (this.#tokens < 1) return false
    this.#tokens -= 1
    return true
  }
}
