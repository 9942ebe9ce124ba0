// Test helper (not exported): a mock-socket WebSocket whose frames are read in arrival order, and
// whose close is a promise. No timers: every wait is on an event.
import { WebSocket } from 'mock-socket'

export type Incoming = { text: string } | { bytes: Uint8Array<ArrayBuffer> }

interface Waiter {
  resolve: (frame: Incoming) => void
  reject: (error: Error) => void
}

export class RawSocket {
  readonly socket: WebSocket
  /** Resolves with the close code and reason. */
  readonly closed: Promise<{ code: number; reason: string }>
  #frames: Incoming[] = []
  #waiters: Waiter[] = []
  #closeCode: number | null = null

  private constructor(socket: WebSocket) {
    this.socket = socket
    socket.binaryType = 'arraybuffer'
    socket.onmessage = (event: MessageEvent) => this.#push(readIncoming(event.data))
    this.closed = new Promise((resolve) => {
      socket.onclose = (event: CloseEvent) => {
        this.#closeCode = event.code
        for (const waiter of this.#waiters.splice(0)) waiter.reject(new Error(`closed ${event.code}`))
        resolve({ code: event.code, reason: event.reason })
      }
    })
  }

  /** Opens a socket offering `protocols`; resolves once it is open (or rejects when it fails). */
  static open(url: string, protocols: string[]): Promise<RawSocket> {
    const raw = new RawSocket(new WebSocket(url, protocols))
    return new Promise((resolve, reject) => {
      raw.socket.onopen = () => resolve(raw)
      raw.socket.onerror = () => reject(new Error('the upgrade failed'))
    })
  }

  /** The selected subprotocol. */
  get protocol(): string {
    return this.socket.protocol
  }

  /** The next frame that arrived (or arrives); rejects once the socket closed with none left. */
  next(): Promise<Incoming> {
    const frame = this.#frames.shift()
    if (frame) return Promise.resolve(frame)
    if (this.#closeCode !== null) return Promise.reject(new Error(`closed ${this.#closeCode}`))
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }))
  }

  async nextText(): Promise<string> {
    const frame = await this.next()
    if (!('text' in frame)) throw new Error('expected a text frame, got a binary one')
    return frame.text
  }

  async nextBytes(): Promise<Uint8Array<ArrayBuffer>> {
    const frame = await this.next()
    if (!('bytes' in frame)) throw new Error(`expected a binary frame, got text ${frame.text}`)
    return frame.bytes
  }

  /** Frames that arrived and were not read yet. */
  get unread(): number {
    return this.#frames.length
  }

  send(frame: string | Uint8Array): void {
    this.socket.send(frame)
  }

  #push(frame: Incoming): void {
    const waiter = this.#waiters.shift()
    if (waiter) waiter.resolve(frame)
    else this.#frames.push(frame)
  }
}

function readIncoming(data: unknown): Incoming {
  if (typeof data === 'string') return { text: data }
  if (data instanceof ArrayBuffer) return { bytes: new Uint8Array(data) }
  throw new Error(`an unexpected frame type: ${Object.prototype.toString.call(data)}`)
}
