import type { KeyObject } from 'node:crypto'
import { MAX_RECORDS } from '@encrypted-socket/core'
import { openRecord, sealRecord } from '../crypto/records'
import type { RecordKeys } from '../crypto/recordKeys'

/** A sealed s2c record and its number: records must reach the socket in that order. */
export interface SealedRecord {
  readonly n: number
  readonly bytes: Buffer
}

/**
 * One connection's records in both directions: the keys and the implicit counters, which are
 * never sent. Each direction is limited to MAX_RECORDS records; `start` is for tests of that limit.
 */
export class RecordChannel {
  readonly #keys: RecordKeys
  #sent: number
  #received: number

  constructor(keys: RecordKeys, start = 0) {
    this.#keys = keys
    this.#sent = start
    this.#received = start
  }

  /** The next s2c record, or null when MAX_RECORDS were sent (the connection must re-key: 4003). */
  seal(plaintext: Uint8Array): SealedRecord | null {
    if (this.#sent >= MAX_RECORDS) return null
    const n = this.#sent++
    return { n, bytes: sealRecord(this.#keys.s2c, n, plaintext) }
  }

  /** Takes the next s2c record number without sealing (a fan-out worker seals it), or null as `seal`. */
  take(): number | null {
    return this.#sent >= MAX_RECORDS ? null : this.#sent++
  }

  /** Seals record `n` taken by `take` (here, when no worker does it). */
  sealTaken(n: number, plaintext: Uint8Array): SealedRecord {
    return { n, bytes: sealRecord(this.#keys.s2c, n, plaintext) }
  }

  /** The s2c key, for the fan-out worker that seals this connection's records (`workers`). */
  get sealingKey(): KeyObject {
    return this.#keys.s2c
  }

  /**
   * The next c2s record's plaintext, or null when it does not open (tampered, replayed, reflected,
   * reordered, truncated, one before it dropped) or its number would be MAX_RECORDS or more.
   */
  open(record: Uint8Array): Buffer | null {
    if (this.#received >= MAX_RECORDS) return null
    const plaintext = openRecord(this.#keys.c2s, this.#received, record)
    if (plaintext) this.#received++
    return plaintext
  }
}
