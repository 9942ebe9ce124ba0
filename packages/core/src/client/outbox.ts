import type { EncryptedSocketError } from '../errors'

/** A send waiting for the session key (or for its turn): serialised, not yet encrypted. */
export interface OutboxItem {
  event: string
  plaintext: Uint8Array<ArrayBuffer>
  resolve: () => void
  reject: (error: EncryptedSocketError) => void
}

/**
 * Sends in the order they were made. Items are encrypted only when they leave, so a message
 * queued during a reconnect goes out under the new connection's key.
 */
export class Outbox {
  #items: OutboxItem[] = []

  get size(): number {
    return this.#items.length
  }

  push(item: OutboxItem): void {
    this.#items.push(item)
  }

  /** The first `count` items, left in place until `shift` confirms they were sent. */
  peek(count: number): OutboxItem[] {
    return this.#items.slice(0, count)
  }

  /** Removes the first `count` items (the ones just sent). */
  shift(count: number): void {
    this.#items.splice(0, count)
  }

  /** Rejects and removes every item: nothing is ever dropped silently. */
  rejectAll(error: EncryptedSocketError): void {
    const items = this.#items
    this.#items = []
    for (const item of items) item.reject(error)
  }
}
