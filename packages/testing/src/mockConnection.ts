import {
  createEphemeralKeys,
  encodeFrame,
  openMessage,
  parseFrame,
  sealMessage,
  type ApplicationMessage,
} from '@encrypted-socket/core'
import type { Client } from 'mock-socket'

/** An application event the mock server decrypted, with the connection it came from. */
export interface ReceivedEvent extends ApplicationMessage {
  connection: MockConnection
}

/** How the mock server answers `authenticate`; see `MockEncryptedServer`'s methods. */
export type HandshakeMode =
  | { type: 'normal' }
  | { type: 'hang' }
  | { type: 'reject'; code: number; message: string }
  | { type: 'without-keys' }
  | { type: 'invalid-server-key' }
  | { type: 'wrong-salt' }

interface Waiter {
  count: number
  resolve: () => void
}

/**
 * One client connection as the mock server sees it: what it received (raw and decrypted), and
 * every fault it can inject. Obtain it from `server.nextConnection()`.
 */
export class MockConnection {
  readonly id: string
  /** The user the token was verified as, once authenticated. */
  userId: string | null = null
  /** The rooms the client joined. */
  readonly rooms = new Set<string>()
  /** Every frame the client sent, exactly as it crossed the wire (what a proxy would see). */
  readonly frames: string[] = []
  /** The client's application events, decrypted, in order. */
  readonly received: ApplicationMessage[] = []
  /** `heartbeat` frames received. */
  heartbeats = 0
  /** The close code, once the connection closed. */
  closeCode: number | null = null
  /** Frames from the client that failed to parse or decrypt, with the reason. */
  readonly errors: string[] = []
  /** Resolves when `connected` was sent (the client may still be deriving its key). */
  readonly authenticated: Promise<void>

  readonly #socket: Client
  readonly #onReceived: (message: ApplicationMessage) => void
  #key: CryptoKey | null = null
  #open = true
  #lastSent: string | null = null
  #lastReceivedEncrypted: string | null = null
  #waiters: Waiter[] = []
  #markAuthenticated!: () => void

  /** @internal created by the mock server */
  constructor(id: string, socket: Client, onReceived: (message: ApplicationMessage) => void) {
    this.id = id
    this.#socket = socket
    this.#onReceived = onReceived
    this.authenticated = new Promise((resolve) => {
      this.#markAuthenticated = resolve
    })
  }

  /** True until the connection closed. */
  get isOpen(): boolean {
    return this.#open
  }

  /** The session key, once the handshake completed with encryption. */
  get key(): CryptoKey | null {
    return this.#key
  }

  /** Sends an application event, encrypted under this connection's key. */
  async send(event: string, data?: unknown): Promise<void> {
    this.#write((await sealMessage(this.#requireKey(), { event, data })).frame)
  }

  /**
   * Sends `count` encrypted events in one synchronous burst (all sealed first), so the client
   * receives them back to back. `data(i)` makes each payload.
   */
  async sendBurst(
    count: number,
    event: string,
    data: (index: number) => unknown = (i) => ({ i }),
  ): Promise<void> {
    const key = this.#requireKey()
    const frames = await Promise.all(
      Array.from({ length: count }, (_, i) => sealMessage(key, { event, data: data(i) })),
    )
    for (const { frame } of frames) this.#write(frame)
  }

  /** Sends an encrypted event with one bit of its ciphertext flipped (a tampering proxy). */
  async sendTampered(event: string, data?: unknown): Promise<void> {
    const { frame } = await sealMessage(this.#requireKey(), { event, data })
    const parsed = parseFrame(frame)
    if (parsed.type !== 'encrypted') throw new Error('mock server: expected an encrypted frame')
    parsed.ct[0]! ^= 0x01
    this.#write(encodeFrame(parsed))
  }

  /** Sends an application event in plaintext (an injection after the handshake). */
  injectPlaintext(event: string, data?: unknown): void {
    this.sendRaw(JSON.stringify({ event, data }))
  }

  /** Sends the last encrypted frame this server sent, again (a replay). */
  replayLast(): void {
    if (!this.#lastSent) throw new Error('mock server: nothing sent yet to replay')
    this.sendRaw(this.#lastSent)
  }

  /** Sends the client's own last encrypted frame back to it (a reflection). */
  reflectLast(): void {
    if (!this.#lastReceivedEncrypted)
      throw new Error('mock server: no encrypted frame received yet to reflect')
    this.sendRaw(this.#lastReceivedEncrypted)
  }

  /** Sends a second `connected` with a fresh key pair (a re-key attempt by a man in the middle). */
  async sendConnectedAgain(): Promise<void> {
    const keys = await createEphemeralKeys()
    this.sendRaw(
      encodeFrame({
        type: 'connected',
        id: this.id,
        userId: this.userId ?? 'user',
        time: new Date().toISOString(),
        serverPublicKey: keys.publicKey,
        salt: crypto.getRandomValues(new Uint8Array(32)),
      }),
    )
  }

  /** Sends any text as a frame. */
  sendRaw(text: string): void {
    this.#write(text, false)
  }

  /** Closes the connection from the server side (1006 looks like a network drop). */
  drop(code = 1006, reason = ''): void {
    this.#socket.close({ code, reason, wasClean: code === 1000 })
  }

  /** Resolves once the client sent at least `count` application events in all. */
  waitForEvents(count: number): Promise<ApplicationMessage[]> {
    if (this.received.length >= count) return Promise.resolve(this.received.slice())
    return new Promise((resolve) => {
      this.#waiters.push({ count, resolve: () => resolve(this.received.slice()) })
    })
  }

  /** @internal */
  setKey(key: CryptoKey | null): void {
    this.#key = key
    this.#markAuthenticated()
  }

  /** @internal handles one decrypted-or-not frame from the client, in order */
  async receiveEncrypted(
    text: string,
    iv: Uint8Array<ArrayBuffer>,
    ct: Uint8Array<ArrayBuffer>,
  ): Promise<ApplicationMessage | null> {
    this.#lastReceivedEncrypted = text
    if (!this.#key) {
      this.errors.push('encrypted frame before the handshake')
      return null
    }
    try {
      const message = await openMessage(this.#key, iv, ct)
      this.received.push(message)
      this.#onReceived(message)
      this.#waiters = this.#waiters.filter((waiter) => {
        if (this.received.length < waiter.count) return true
        waiter.resolve()
        return false
      })
      return message
    } catch (error) {
      this.errors.push(error instanceof Error ? error.message : String(error))
      return null
    }
  }

  /** @internal */
  markClosed(code: number): void {
    this.#open = false
    this.closeCode = code
  }

  #requireKey(): CryptoKey {
    if (!this.#key)
      throw new Error('mock server: this connection has no session key (handshake not done, or without keys)')
    return this.#key
  }

  #write(text: string, remember = true): void {
    if (!this.#open) throw new Error('mock server: the connection is closed')
    if (remember) this.#lastSent = text
    this.#socket.send(text)
  }
}
