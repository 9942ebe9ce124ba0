// Ephemeral key pairs made ahead of the connection that uses them: one per connection, never reused.
import { createEphemeralKeys, type EphemeralKeys } from '../protocol/handshake'

/**
 * The key pair of the next connection, made while the client is idle (at construction in a page,
 * once authenticated, while waiting to retry), so that opening a socket waits for no crypto. Each
 * pair is handed out once; `take()` without one ready makes one then.
 */
export class NextKeyPair {
  #next: Promise<EphemeralKeys> | null = null

  /** Starts making the next pair, unless one is made or being made (or there is no Web Crypto). */
  prepare(): void {
    if (this.#next || !globalThis.crypto?.subtle) return
    this.#next = createEphemeralKeys()
    this.#next.catch(noop) // a failure surfaces in the handshake that takes it
  }

  /** The pair for one connection: the prepared one, or a new one. The next `take()` gets another. */
  take(): Promise<EphemeralKeys> {
    const keys = this.#next ?? createEphemeralKeys()
    keys.catch(noop) // an attempt that cannot start never awaits it
    this.#next = null
    return keys
  }

  /** Forgets the prepared pair (the client is destroyed). */
  clear(): void {
    this.#next = null
  }
}

function noop(): void {}
