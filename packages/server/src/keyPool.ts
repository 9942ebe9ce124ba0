import { generateServerKeyPair, type ServerKeyPair } from './crypto/serverKeyPair'

/**
 * Ephemeral key pairs made ahead of time, so a handshake does not wait for key generation. Each
 * pair is handed out once and never reused (forward secrecy is unchanged); the pool refills after
 * the current I/O callbacks, off the handshake's path.
 */
export class KeyPool {
  readonly #ready: ServerKeyPair[] = []
  readonly #size: number
  readonly #generate: () => ServerKeyPair
  #refillScheduled = false

  constructor(size = 8, generate: () => ServerKeyPair = generateServerKeyPair) {
    this.#size = size
    this.#generate = generate
    this.#scheduleRefill()
  }

  /** A key pair nobody has had before (made now when the pool is empty). */
  take(): ServerKeyPair {
    const next = this.#ready.shift() ?? this.#generate()
    this.#scheduleRefill()
    return next
  }

  #scheduleRefill(): void {
    if (this.#refillScheduled) return
    this.#refillScheduled = true
    setImmediate(() => {
      this.#refillScheduled = false
      while (this.#ready.length < this.#size) this.#ready.push(this.#generate())
    }).unref()
  }
}
