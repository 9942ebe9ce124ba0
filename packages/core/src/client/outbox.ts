// Sends waiting for a session (or for their turn), and their way out: sealed a batch at a time
// under the current connection's session, written in order.
import type { EncryptedSocketError } from '../errors'
import type { Logger } from '../types'
import type { Connection } from './connection'
import type { OutgoingMessage } from './session'
import { sentData, type TrafficTap } from './trafficTap'

/** Items sealed in parallel before being written in order. */
const SEAL_BATCH = 64

/** A send waiting for the session key (or for its turn): serialised, not yet encrypted. */
export interface OutboxItem {
  message: OutgoingMessage
  resolve: () => void
  reject: (error: EncryptedSocketError) => void
}

/**
 * Sends in the order they were made. Items are encrypted only when they leave, so a message
 * queued during a reconnect goes out under the new connection's key.
 */
export class Outbox {
  #items: OutboxItem[] = []
  #draining = false

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
    for (const item of this.takeAll()) item.reject(error)
  }

  /** Removes every item and hands them over (the caller answers each). */
  takeAll(): OutboxItem[] {
    const items = this.#items
    this.#items = []
    return items
  }

  /** Removes and hands over the items that match (the caller answers each). */
  takeWhere(matches: (item: OutboxItem) => boolean): OutboxItem[] {
    const taken = this.#items.filter(matches)
    if (taken.length > 0) this.#items = this.#items.filter((item) => !matches(item))
    return taken
  }

  /**
   * Seals waiting items in batches and writes them in order, while `current()` gives an
   * authenticated, encrypted connection. An item leaves the outbox only once written.
   */
  async drain(current: () => Connection | null, logger: Logger, tap?: TrafficTap): Promise<void> {
    if (this.#draining) return
    this.#draining = true
    try {
      for (;;) {
        const connection = current()
        if (!connection?.encrypted || this.#items.length === 0) return
        const batch = this.peek(SEAL_BATCH)
        const written = await connection.send(batch.map((item) => item.message))
        // What was not written stays, and goes out under the next connection's key; a closing
        // connection's close event follows.
        this.shift(written)
        for (const item of batch.slice(0, written)) {
          tap?.('sent', item.message.event, sentData(item.message))
          item.resolve()
        }
        // Unless a new connection replaced this one meanwhile (its turn, then).
        if (written < batch.length && connection === current()) return
      }
    } catch (error) {
      logger.error('[encrypted-socket] encryption failed', error)
    } finally {
      this.#draining = false
    }
  }
}
