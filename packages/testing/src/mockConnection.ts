// One client connection as the mock server sees it: what the client sent (raw and decrypted),
// and every fault the server can inject, in v1 (frames) and in v2 (records).
import type { ResumeRequest } from '@encrypted-socket/core'
import type { Client } from 'mock-socket'
import type { MockMessage } from './serverOptions'
import { V1Writer } from './v1/v1Writer'
import { dataItem } from './v2/items'
import { prepareWelcome } from './v2/prepareWelcome'
import { RecordWriter } from './v2/recordWriter'

/** An application event the mock server decrypted, with the connection it came from. */
export interface ReceivedEvent extends MockMessage {
  connection: MockConnection
}

interface Waiter {
  count: number
  resolve: () => void
}

/**
 * One client connection as the mock server sees it: what it received (raw and decrypted), and
 * every fault it can inject. Obtain it from `server.nextConnection()`. The v2-only methods throw
 * on a v1 connection.
 */
export class MockConnection {
  readonly id: string
  /** The wire protocol this connection speaks. */
  readonly protocol: 'v1' | 'v2'
  /** The user the token was verified as, once authenticated. */
  userId: string | null = null
  /** The rooms the client joined. */
  readonly rooms = new Set<string>()
  /** Every text frame the client sent, exactly as it crossed the wire (what a proxy would see). */
  readonly frames: string[] = []
  /** v2: every binary frame (record) the client sent, as it crossed the wire. */
  readonly records: Uint8Array<ArrayBuffer>[] = []
  /** The client's application events, decrypted, in order (v2: each seq once). */
  readonly received: MockMessage[] = []
  /** `heartbeat` frames (v1) or `ping` records (v2) received. */
  heartbeats = 0
  /** v2: the `resume` the client's `auth` asked for (the mock never resumes: `resumed:false`). */
  resumeRequest: ResumeRequest | null = null
  /** v2: the highest session-stream seq the client acknowledged. */
  acknowledged = 0
  /** The close code, once the connection closed. */
  closeCode: number | null = null
  /** Frames from the client that failed to parse, decrypt or validate, with the reason. */
  readonly errors: string[] = []
  /** Resolves when `connected` (v1) or `ready` (v2) was sent. */
  readonly authenticated: Promise<void>

  readonly #socket: Client
  readonly #onReceived: (message: MockMessage) => void
  readonly #v1: V1Writer
  readonly #v2: RecordWriter
  #open = true
  #isAuthenticated = false
  #lastClientRecord: Uint8Array<ArrayBuffer> | null = null
  #waiters: Waiter[] = []
  #markAuthenticated!: () => void
  #settled: () => Promise<void> = () => Promise.resolve()

  /** @internal created by the mock server */
  constructor(
    id: string,
    socket: Client,
    onReceived: (message: MockMessage) => void,
    protocol: 'v1' | 'v2' = 'v1',
  ) {
    this.id = id
    this.protocol = protocol
    this.#socket = socket
    this.#onReceived = onReceived
    this.#v1 = new V1Writer((text) => this.#write(text))
    this.#v2 = new RecordWriter((bytes) => {
      if (this.#open) this.#socket.send(toArrayBuffer(bytes))
    })
    this.authenticated = new Promise((resolve) => {
      this.#markAuthenticated = resolve
    })
  }

  /** True until the connection closed. */
  get isOpen(): boolean {
    return this.#open
  }

  /** True once `connected` (v1) or `ready` (v2) was sent. */
  get isAuthenticated(): boolean {
    return this.#isAuthenticated
  }

  /** v1: the session key, once the handshake completed with encryption (v2: null). */
  get key(): CryptoKey | null {
    return this.#v1.key
  }

  /** Sends an application event, encrypted (v2: a `msg` record; a Uint8Array goes as an attachment). */
  send(event: string, data?: unknown): Promise<void> {
    return this.sendBurst(1, event, () => data)
  }

  /**
   * Sends `count` encrypted events in one burst (all sealed first), so the client receives them
   * back to back. `data(i)` makes each payload.
   */
  async sendBurst(
    count: number,
    event: string,
    data: (index: number) => unknown = (i) => ({ i }),
  ): Promise<void> {
    this.#requireOpen()
    const payloads = Array.from({ length: count }, (_, i) => data(i))
    if (this.protocol === 'v1') return this.#v1.send(payloads.map((d) => ({ event, data: d })))
    return this.#v2.write(payloads.map((d) => dataItem({ t: 'msg', event }, d)))
  }

  /** Sends an encrypted event with one bit of its ciphertext flipped (a tampering proxy). */
  async sendTampered(event: string, data?: unknown): Promise<void> {
    this.#requireOpen()
    if (this.protocol === 'v1') return this.#v1.sendTampered({ event, data })
    return this.#v2.write([dataItem({ t: 'msg', event }, data)], { tamper: true })
  }

  /** Sends an application event in plaintext, as a text frame (an injection after the handshake). */
  injectPlaintext(event: string, data?: unknown): void {
    this.sendRaw(JSON.stringify({ event, data }))
  }

  /** Sends the last encrypted frame (v2: record) this server sent, again (a replay). */
  replayLast(): void {
    if (this.protocol === 'v1') return this.#v1.replayLast()
    if (this.#v2.sealed === 0) throw new Error('mock server: nothing sent yet to replay')
    void this.replayLastRecord()
  }

  /** Sends the client's own last encrypted frame (v2: record) back to it (a reflection). */
  reflectLast(): void {
    if (this.protocol === 'v1') return this.#v1.reflectLast()
    if (!this.#lastClientRecord) throw new Error('mock server: no record received yet to reflect')
    void this.reflectLastRecord()
  }

  /** Sends a second `connected` (v1) or `welcome` (v2) with a fresh key (a re-key attempt). */
  async sendConnectedAgain(): Promise<void> {
    if (this.protocol === 'v1') return this.#v1.sendConnectedAgain(this.id, this.userId ?? 'user')
    this.sendRaw((await prepareWelcome(null, undefined)).text)
  }

  /** Sends any text (a text frame) or bytes (a binary frame), at once. */
  sendRaw(frame: string | Uint8Array): void {
    if (typeof frame === 'string') return this.#write(frame)
    this.#requireOpen()
    this.#socket.send(toArrayBuffer(frame))
  }

  /** Closes the connection from the server side (1006 looks like a network drop). */
  drop(code = 1006, reason = ''): void {
    this.#socket.close({ code, reason, wasClean: code === 1000 })
  }

  /** Resolves once the client sent at least `count` application events in all. */
  waitForEvents(count: number): Promise<MockMessage[]> {
    if (this.received.length >= count) return Promise.resolve(this.received.slice())
    return new Promise((resolve) => {
      this.#waiters.push({ count, resolve: () => resolve(this.received.slice()) })
    })
  }

  /**
   * Resolves once every frame that reached the server so far was handled (and v2's coalesced
   * `ack` written, with `ackDelay` 0). Frames still in flight from the client are not included.
   */
  settled(): Promise<void> {
    return this.#settled()
  }

  /** v2: the next record is sealed (its counter used) but never sent: the client's next record fails. */
  dropNextRecord(): void {
    this.#requireV2('dropNextRecord').dropNext()
  }

  /** v2: the next two records go out in swapped order. */
  reorderNextTwo(): void {
    this.#requireV2('reorderNextTwo').reorderNextTwo()
  }

  /** v2: the next record goes out one byte short (its tag no longer authenticates). */
  truncateNextRecord(): void {
    this.#requireV2('truncateNextRecord').truncateNext()
  }

  /** v2: sends the last record that went out again, after what is queued. */
  replayLastRecord(): Promise<void> {
    return this.#requireV2('replayLastRecord').replayLast()
  }

  /** v2: sends the client's own last record back to it, after what is queued. */
  reflectLastRecord(): Promise<void> {
    const writer = this.#requireV2('reflectLastRecord')
    const record = this.#lastClientRecord
    if (!record) return Promise.reject(new Error('mock server: no record received yet to reflect'))
    return writer.sendBytes(record)
  }

  /**
   * v2: while on, pings get no `pong` and the connection sends nothing at all (no `ack`, no
   * `joined`, `send()` does nothing, no counter is used): the client's `pongTimeout` has to fire.
   */
  ignorePings(on = true): void {
    this.#requireV2('ignorePings').silent = on
  }

  /** @internal the handler's queue, for settled() */
  onSettled(settled: () => Promise<void>): void {
    this.#settled = settled
  }

  /** @internal v1: the handshake is done (with `key`, or `null` without keys) */
  setKey(key: CryptoKey | null): void {
    this.#v1.key = key
    this.#authenticate()
  }

  /** @internal v2: `ready` is on its way; the records go out under `s2c` */
  startRecords(s2c: CryptoKey): void {
    this.#v2.start(s2c)
  }

  /** @internal v2: `ready` was sent */
  markReady(): void {
    this.#authenticate()
  }

  /** @internal */
  get recordWriter(): RecordWriter {
    return this.#v2
  }

  /** @internal */
  get v1Writer(): V1Writer {
    return this.#v1
  }

  /** @internal remembers the client's last record, for reflectLastRecord() */
  rememberRecord(record: Uint8Array<ArrayBuffer>): void {
    this.#lastClientRecord = record
  }

  /** @internal one application event from the client, decrypted and in order */
  deliver(message: MockMessage): void {
    this.received.push(message)
    this.#onReceived(message)
    this.#waiters = this.#waiters.filter((waiter) => {
      if (this.received.length < waiter.count) return true
      waiter.resolve()
      return false
    })
  }

  /** @internal */
  markClosed(code: number): void {
    this.#open = false
    this.closeCode = code
  }

  #authenticate(): void {
    this.#isAuthenticated = true
    this.#markAuthenticated()
  }

  #requireV2(method: string): RecordWriter {
    if (this.protocol !== 'v2')
      throw new Error(`mock server: ${method}() needs a v2 connection (this one speaks v1)`)
    return this.#v2
  }

  #requireOpen(): void {
    if (!this.#open) throw new Error('mock server: the connection is closed')
  }

  #write(text: string): void {
    this.#requireOpen()
    this.#socket.send(text)
  }
}

/** mock-socket sends an ArrayBuffer as binary, but stringifies a Uint8Array. */
function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
}
