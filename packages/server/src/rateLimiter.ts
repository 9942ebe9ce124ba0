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

  /**
   * Takes `cost` tokens (one message, or a frame's bytes); false when there are not enough. A cost
   * over the burst takes a full bucket.
   */
  take(now = Date.now(), cost = 1): boolean {
    this.#refill(now)
    const needed = Math.min(cost, this.#burst)
    if (this.#tokens < needed) return false
    this.#tokens -= needed
    return true
  }

  /** In how many ms `cost` tokens will be there (0: now; a cost over the burst waits for a full bucket). */
  delayFor(cost: number, now = Date.now()): number {
    this.#refill(now)
    const missing = Math.min(cost, this.#burst) - this.#tokens
    return missing <= 0 ? 0 : Math.ceil((missing / this.#perSecond) * 1000)
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
