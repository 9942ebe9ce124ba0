// The server → client direction of v2 records: counter n from 0, sealed in parallel, sent in
// counter order, and the faults that act on the next records (drop, truncate, reorder, replay).
import { encodeRecordPlaintext, sealRecord } from '@encrypted-socket/core'

/** One record to seal: the message's JSON and its attachment. */
export interface RecordItem {
  json: string
  attachment?: Uint8Array | undefined
}

type Bytes = Uint8Array<ArrayBuffer>

export class RecordWriter {
  /** When true, writes are dropped before sealing (no counter used): the link looks dead. */
  silent = false

  readonly #send: (bytes: Bytes) => void
  #key: CryptoKey | null = null
  #next = 0
  #tail: Promise<void> = Promise.resolve()
  #lastSent: Bytes | null = null
  #drop = 0
  #truncate = 0
  #reorder: 'off' | 'armed' | 'holding' = 'off'
  #held: Bytes | null = null

  constructor(send: (bytes: Bytes) => void) {
    this.#send = send
  }

  /** Starts the records under `key` (k_s2c). */
  start(key: CryptoKey): void {
    this.#key = key
  }

  get started(): boolean {
    return this.#key !== null
  }

  /** How many records were sealed: the counter of the next one. */
  get sealed(): number {
    return this.#next
  }

  /** Seals the items as consecutive records and sends them back to back, after what is queued. */
  write(items: RecordItem[], { tamper = false } = {}): Promise<void> {
    if (!this.#key) throw new Error('mock server: this connection has no session key (handshake not done)')
    if (this.silent) return Promise.resolve()
    const key = this.#key
    const sealed = Promise.all(
      items.map(({ json, attachment }) =>
        sealRecord(key, this.#next++, encodeRecordPlaintext(json, attachment)),
      ),
    )
    return this.#enqueue(async () => {
      for (const bytes of await sealed) this.#transmit(tamper ? flipFirstBit(bytes) : bytes)
    })
  }

  /** Sends the last record that went out again, after what is queued. */
  replayLast(): Promise<void> {
    return this.#enqueue(() => {
      if (!this.#lastSent) throw new Error('mock server: no record sent yet to replay')
      this.#send(this.#lastSent)
    })
  }

  /** Sends bytes as they are, after what is queued, past every fault. */
  sendBytes(bytes: Bytes): Promise<void> {
    return this.#enqueue(() => this.#send(bytes))
  }

  dropNext(): void {
    this.#drop++
  }

  truncateNext(): void {
    this.#truncate++
  }

  reorderNextTwo(): void {
    this.#reorder = 'armed'
  }

  #enqueue(step: () => void | Promise<void>): Promise<void> {
    const done = this.#tail.then(step)
    this.#tail = done.catch(() => undefined)
    return done
  }

  #transmit(record: Bytes): void {
    if (this.#drop > 0) {
      this.#drop--
      return
    }
    let bytes = record
    if (this.#truncate > 0) {
      this.#truncate--
      bytes = record.slice(0, -1)
    }
    if (this.#reorder === 'armed') {
      this.#reorder = 'holding'
      this.#held = bytes
      return
    }
    this.#emit(bytes)
    if (this.#reorder === 'holding') {
      this.#reorder = 'off'
      this.#emit(this.#held!)
      this.#held = null
    }
  }

  #emit(bytes: Bytes): void {
    this.#lastSent = bytes
    this.#send(bytes)
  }
}

function flipFirstBit(record: Bytes): Bytes {
  const copy = record.slice()
  copy[0]! ^= 0x01
  return copy
}
