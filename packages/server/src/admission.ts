import { RateLimiter } from './rateLimiter'

/** Caps on connections, so that one address, one token or a flood cannot take every socket. */
export interface AdmissionLimits {
  maxConnections: number
  maxConnectionsPerAddress: number
  maxConnectionsPerUser: number
  /** New upgrades per client address (token bucket). */
  handshakeRate: { perSecond: number; burst: number }
}

/** Why an upgrade is refused, with the HTTP status it gets. */
export interface Refusal {
  status: 429 | 503
  reason: 'max-connections' | 'address-connections' | 'address-handshake-rate'
}

/**
 * Counts connections in total, per client address and per user, and new handshakes per address.
 * An address's handshake bucket is forgotten once it has no connection and its bucket is full
 * again, so the map holds only addresses that are active.
 */
export class Admission {
  readonly #limits: AdmissionLimits
  readonly #perAddress = new Map<string, { connections: number; handshakes: RateLimiter }>()
  readonly #perUser = new Map<string, number>()
  #total = 0

  constructor(limits: AdmissionLimits) {
    this.#limits = limits
  }

  /** Admits an upgrade from `address` (counted until `release`), or says why not. */
  admit(address: string, now = Date.now()): Refusal | null {
    const { maxConnections, maxConnectionsPerAddress, handshakeRate } = this.#limits
    if (this.#total >= maxConnections) return { status: 503, reason: 'max-connections' }
    let entry = this.#perAddress.get(address)
    if (!entry) {
      entry = {
        connections: 0,
        handshakes: new RateLimiter(handshakeRate.perSecond, handshakeRate.burst, now),
      }
      this.#perAddress.set(address, entry)
    }
    if (entry.connections >= maxConnectionsPerAddress) return { status: 429, reason: 'address-connections' }
    if (!entry.handshakes.take(now)) return { status: 429, reason: 'address-handshake-rate' }
    entry.connections++
    this.#total++
    return null
  }

  release(address: string): void {
    const entry = this.#perAddress.get(address)
    if (!entry) return
    entry.connections--
    this.#total--
    if (entry.connections === 0 && entry.handshakes.full()) this.#perAddress.delete(address)
  }

  /** Counts an authenticated connection of `userId`; false when the user is at the cap. */
  admitUser(userId: string): boolean {
    const count = this.#perUser.get(userId) ?? 0
    if (count >= this.#limits.maxConnectionsPerUser) return false
    this.#perUser.set(userId, count + 1)
    return true
  }

  releaseUser(userId: string): void {
    const count = (this.#perUser.get(userId) ?? 1) - 1
    if (count <= 0) this.#perUser.delete(userId)
    else this.#perUser.set(userId, count)
  }

  /** Drops the buckets of addresses without connections (called from the server's sweep). */
  sweep(now = Date.now()): void {
    for (const [address, entry] of this.#perAddress) {
      if (entry.connections === 0 && entry.handshakes.full(now)) this.#perAddress.delete(address)
    }
  }
}
