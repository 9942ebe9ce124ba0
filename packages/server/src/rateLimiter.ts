/** A token bucket: `perSecond` tokens on average, bursts up to `burst`. */
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

  /** Takes `cost` tokens (one message, or a frame's bytes); false when there are not enough. */
  take(now = Date.now(), cost = 1): boolean {
    this.#refill(now)
    if (this.#tokens < cost) return false
    this.#tokens -= cost
    return true
  }

  /** Whether the bucket has refilled completely (nothing to remember about its owner). */
  full(now = Date.now()): boolean {
    this.#refill(now)
    return this.#tokens >= this.#burst
  }

  #refill(now: number): void {
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#updatedAt) / 1000) * this.#perSecond)
    this.#updatedAt = now
  }
}
