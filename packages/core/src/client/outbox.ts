// Sends from `send()` or `request()` to their answer. v1: a send leaves when it is written.
// v2: it stays until the server acknowledges its seq (a request until its `res`), and what was
// written on a connection that ended goes out again on the next, resumed (same seqs) or not
// (new seqs, same idempotency key).
import { EncryptedSocketError } from '../errors'
import type { Logger } from '../types'
import type { ClientSession } from './clientSession'
import type { Connection } from './connection'
import type { OutgoingMessage } from './session'
import { sentData, type TrafficTap } from './trafficTap'

/**
 * Items sealed in parallel before being written in order: at most this many, and this many bytes
 * of payload (so that large messages are not all held twice at once). Larger batches keep Web
 * Crypto and the socket busy: 64 B echo, client CPU per message 148 µs at 64, 96–132 µs at 256.
 */
const SEAL_BATCH = 256
const SEAL_BATCH_BYTES = 4 * 1024 * 1024

/** A send or a request on its way: serialised, encrypted only when it leaves. */
export interface OutboxItem {
  message: OutgoingMessage
  /** A request: answered by its `res`, not by the ack. */
  request: boolean
  /** `Date.now()` at `send()`; past `maxAge` it is not written any more. */
  queuedAt: number
  maxAge: number
  /** Written on the current connection (v2: waiting for its ack). */
  written: boolean
  /** Given up by its caller (timeout, abort): never written again, its answer ignored. */
  cancelled: boolean
  resolve: (value: unknown) => void
  reject: (error: EncryptedSocketError) => void
}

export type RequestAnswer = { data: unknown } | { error: { code: string; message: string } }

export class Outbox {
  /** Written items first (in seq order), then the waiting ones, in `send()` order. */
  #items: OutboxItem[] = []
  /** Acknowledged requests waiting for their `res`, by request id. */
  readonly #answering = new Map<number, OutboxItem>()
  #draining = false

  /** Items not yet acknowledged (what `outbox.maxSize` bounds). */
  get size(): number {
    return this.#items.length
  }

  push(item: OutboxItem): void {
    this.#items.push(item)
  }

  /**
   * The caller gave up on `item` (timeout, abort): one not written yet is withdrawn; a written
   * one is past recall and goes on in the stream, but its answer is ignored.
   */
  cancel(item: OutboxItem, error: EncryptedSocketError): void {
    if (item.cancelled) return
    item.cancelled = true
    if (!item.written) this.#items = this.#items.filter((other) => other !== item)
    if (item.message.id !== undefined) this.#answering.delete(item.message.id)
    item.reject(error)
  }

  /** Removes the items that match and hands them over (the caller answers each). */
  takeWhere(matches: (item: OutboxItem) => boolean): OutboxItem[] {
    const taken = this.#items.filter((item) => !item.written && matches(item))
    if (taken.length > 0) this.#items = this.#items.filter((item) => !taken.includes(item))
    return taken
  }

  /** Rejects and removes every item: nothing is ever dropped silently. */
  rejectAll(error: EncryptedSocketError): void {
    for (const item of this.takeAll()) item.reject(error)
  }

  /** Removes every item, answered or not, and hands them over (the caller answers each). */
  takeAll(): OutboxItem[] {
    const items = [...this.#items, ...this.#answering.values()].filter((item) => !item.cancelled)
    this.#items = []
    this.#answering.clear()
    return items
  }

  /** v2: every client seq up to `seq` was processed. */
  acknowledge(seq: number): void {
    let count = 0
    for (const item of this.#items) {
      if (!item.written || item.message.seq === undefined || item.message.seq > seq) break
      count++
      if (item.cancelled) continue
      if (item.request) this.#answering.set(item.message.id!, item)
      else item.resolve(undefined)
    }
    if (count > 0) this.#items.splice(0, count)
  }

  /** v2: the `res` of request `id` (it acknowledges the request's seq and those before it). */
  answer(
    id: number,
    answer: RequestAnswer,
    explain: (error: { code: string; message: string }) => EncryptedSocketError,
  ): void {
    const written = this.#items.find((item) => item.written && item.message.id === id)
    if (written?.message.seq !== undefined) this.acknowledge(written.message.seq)
    const item = this.#answering.get(id)
    if (!item) return // answered already, or given up by its caller
    this.#answering.delete(id)
    if ('error' in answer) item.reject(explain(answer.error))
    else item.resolve(answer.data)
  }

  /** The connection ended: what it wrote and nobody acknowledged goes out again on the next. */
  connectionEnded(): void {
    for (const item of this.#items) item.written = false
  }

  /**
   * v2 `ready`: on a resumed session, the seqs up to `processed` are acknowledged; on a new one,
   * the requests waiting for a `res` go out again (the server answers a repeated key with the
   * original `res`). What is left is numbered again from the session's next seq, in order;
   * given-up items are dropped.
   */
  startSession(resumed: boolean, processed: number): void {
    if (resumed) {
      for (const item of this.#items)
        item.written = item.message.seq !== undefined && item.message.seq <= processed
      this.acknowledge(processed)
      for (const item of this.#items) item.written = false
    } else {
      const answering = [...this.#answering.values()].sort((a, b) => a.message.seq! - b.message.seq!)
      this.#answering.clear()
      this.#items = [...answering, ...this.#items]
    }
    this.#items = this.#items.filter((item) => !item.cancelled)
    for (const item of this.#items) item.message.seq = undefined
  }

  /**
   * Seals waiting items in batches and writes them in order, while `current()` gives an
   * authenticated, encrypted connection. v1: an item leaves once written; v2: it is numbered
   * from `session` and stays until acknowledged.
   */
  async drain(
    current: () => Connection | null,
    session: ClientSession,
    logger: Logger,
    tap?: TrafficTap,
  ): Promise<void> {
    if (this.#draining) return
    this.#draining = true
    try {
      for (;;) {
        const connection = current()
        if (!connection?.encrypted) return
        const batch = this.#nextBatch(connection.numbered)
        if (batch.length === 0) return
        const numbered = connection.numbered
        if (numbered) for (const item of batch) item.message.seq = ++session.sent
        const written = await connection.send(batch.map((item) => item.message))
        // It ended meanwhile: its items were reset for the next connection, which numbers them.
        if (connection.disposed) continue
        if (numbered) {
          session.sent -= batch.length - written
          for (const item of batch.slice(written)) item.message.seq = undefined
        }
        for (const item of batch.slice(0, written)) {
          tap?.('sent', item.message.event, sentData(item.message))
          item.written = true
        }
        // v1 and its plaintext-free fire-and-forget: written is done.
        if (!numbered) this.#settleWritten()
        // What was not written stays, and goes out under the next connection's key; a closing
        // connection's close event follows. Unless a new connection replaced this one meanwhile.
        if (written < batch.length && connection === current()) return
      }
    } catch (error) {
      logger.error('[encrypted-socket] encryption failed', error)
    } finally {
      this.#draining = false
    }
  }

  /** The next items to write: expired ones are refused, given-up ones dropped. */
  #nextBatch(numbered: boolean): OutboxItem[] {
    const now = Date.now()
    const batch: OutboxItem[] = []
    let bytes = 0
    for (const item of [...this.#items]) {
      if (batch.length === SEAL_BATCH || bytes >= SEAL_BATCH_BYTES) break
      if (item.written) continue
      if (item.cancelled) {
        this.#items = this.#items.filter((other) => other !== item)
      } else if (now - item.queuedAt > item.maxAge) {
        this.cancel(item, expired(item, now))
      } else if (item.request && !numbered) {
        this.cancel(
          item,
          new EncryptedSocketError(
            'ERR_PROTOCOL_VERSION',
            __DEV__ ? 'request() needs protocol v2; this server speaks v1.' : 'request() needs protocol v2.',
          ),
        )
      } else {
        batch.push(item)
        bytes += (item.message.dataJson?.length ?? 0) + (item.message.binary?.length ?? 0)
      }
    }
    return batch
  }

  /** v1: written items are done. */
  #settleWritten(): void {
    const written = this.#items.filter((item) => item.written)
    this.#items = this.#items.filter((item) => !item.written)
    for (const item of written) item.resolve(undefined)
  }
}

function expired(item: OutboxItem, now: number): EncryptedSocketError {
  return new EncryptedSocketError(
    'ERR_SEND_EXPIRED',
    __DEV__
      ? `"${item.message.event}" waited ${now - item.queuedAt} ms, longer than its maxAge (${item.maxAge} ms); it was not sent. Send it again if it still holds.`
      : `"${item.message.event}" expired before it went out.`,
  )
}
