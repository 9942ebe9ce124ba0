import { createEphemeralKeys, type EphemeralKeys } from '@encrypted-socket/core'

/**
 * Ephemeral key pairs made ahead of time, so a handshake does not wait for key generation. Each
 * pair is handed out once and never reused (forward secrecy is unchanged); the pool refills in the
 * background.
 */
export class KeyPool {
  readonly #ready: Promise<EphemeralKeys>[] = []
  readonly #size: number

  constructor(size = 8) {
    this.#size = size
    this.#refill()
  }

  take(): Promise<EphemeralKeys> {
    const next = this.#ready.shift() ?? createEphemeralKeys()
    this.#refill()
    return next
  }

  #refill(): void {
    while (this.#ready.length < this.#size) {
      const keys = createEphemeralKeys()
      keys.catch(() => undefined) // a failure surfaces when the pair is taken
      this.#ready.push(keys)
    }
  }
}
