import { PROTOCOL_V2 } from '@encrypted-socket/core'
import type { Duplex } from 'node:stream'
import type { WebSocket } from 'ws'
import { SERVER_CLOSE } from './closeCodes'
import type { DeliveryCounters } from './delivery/deliveryStats'
import type { ServerEventCounts } from './serverEventCounts'
import type { HandlerOutcome } from './delivery/answer'
import type { KeyStore } from './delivery/idempotencyKeys'
import type { RoomLog } from './delivery/roomLog'
import type { Sessions } from './delivery/sessions'
import type { KeyPool } from './keyPool'
import type { ResolvedServerOptions } from './options'
import { OutgoingMessage } from './outgoing'
import type { ConnectionProtocol, PendingSeal, SealedFrame, WorkerKey } from './protocol'
import type { SealLease, SealWorkers } from './workers/sealWorkers'
import { RateLimiter } from './rateLimiter'
import { V1Protocol } from './v1/v1Protocol'
import { V2Protocol } from './v2/v2Protocol'

export { SERVER_CLOSE } from './closeCodes'

/** Why frames were dropped, counted per connection and for the whole server. */
export interface DropCounts {
  /** Anything but `authenticate` before authentication. */
  unauthenticated: number
  /** Application events in plaintext. */
  plaintext: number
  /** Encrypted frames that failed to decrypt or held no valid message (v2: a record that did not open, then close 4001). */
  undecryptable: number
  /** Encrypted frames with an IV already seen on the connection. */
  replayed: number
  /** Frames that are not protocol v1 (binary, bad JSON, bad fields, a second `authenticate`), or v2 violations. */
  malformed: number
  /**
   * Frames over the rate limit (messages or bytes per second), or beyond a full incoming queue.
   * v2 never drops a record under the rate limit (the client's seqs would no longer agree): it
   * holds it back until the budget allows it, and counts it here.
   */
  rateLimited: number
  /** Frames to this client not written because it does not read what it was sent (back-pressure). */
  slowConsumer: number
}

export const emptyDropCounts = (): DropCounts => ({
  unauthenticated: 0,
  plaintext: 0,
  undecryptable: 0,
  replayed: 0,
  malformed: 0,
  rateLimited: 0,
  slowConsumer: 0,
})

/** What a connection needs from its server. */
export interface ConnectionHost {
  options: ResolvedServerOptions
  keyPool: KeyPool
  /** Counts the user's connection; false when the user already has as many as allowed. */
  admitUser(userId: string): boolean
  onAuthenticated(connection: ServerConnection): void
  onRoomChange(connection: ServerConnection, type: 'join' | 'leave', rooms: readonly string[]): void
  /** Runs the handlers; never rejects. `meta`: v2's idempotency key and request id. */
  onEvent(
    connection: ServerConnection,
    event: string,
    data: unknown,
    meta?: EventMeta,
  ): Promise<HandlerOutcome>
  onDrop(connection: ServerConnection, reason: keyof DropCounts): void
  /** v2: sessions, room streams, idempotency keys, and what they count. */
  sessions: Sessions
  roomLog: RoomLog
  keys: KeyStore
  counters: DeliveryCounters
  /** What only the metrics count (handshakes, token refusals, paused reads). */
  events: ServerEventCounts
  /** With `workers`: the threads that seal fan-out, given each ready connection's key. */
  sealWorkers: SealWorkers | null
}

/** What a v2 message tells its handler besides the event and data. */
export interface EventMeta {
  key?: string
  requestId?: number
}

/** A socket that does not finish the closing handshake in this time is cut. */
const CLOSE_GRACE_MS = 2000

/**
 * One client's transport: its limits, its incoming queue (frames handled one at a time, in
 * order), its writes, closing and drop counts. The protocol it speaks (v1 or v2, chosen at the
 * upgrade) reads its frames and seals its messages.
 */
export class ServerConnection {
  readonly id = crypto.randomUUID()
  readonly socket: WebSocket
  readonly remoteAddress: string | undefined
  readonly host: ConnectionHost
  userId: string | null = null
  /** When the token expires (ms since the epoch), if the verifier said. */
  expiresAt: number | undefined
  readonly rooms = new Set<string>()
  readonly drops = emptyDropCounts()
  lastSeenAt = Date.now()
  /** With `workers`: the worker holding this connection's key (from ready to close). */
  sealLease: SealLease | null = null

  readonly #protocol: ConnectionProtocol
  readonly #limiter: RateLimiter
  readonly #byteLimiter: RateLimiter
  #authenticated = false
  #incoming = Promise.resolve()
  #queued = { frames: 0, bytes: 0 }
  #lastRateLimitNotice = 0
  /** Since when writes to this client have been over the high-water mark (null: it keeps up). */
  #behindSince: number | null = null
  /** Refused before authentication: nothing more from this client is handled. */
  #refused = false
  #closeRequested = false
  #drainAwaited = false
  /** v2 records over the budgets, in arrival order, waiting for them to refill. */
  readonly #held: { size: number; handle: () => Promise<void> | void }[] = []
  #heldBytes = 0
  #releaseTimer: ReturnType<typeof setTimeout> | null = null
  /** The server drains: nothing more from this client is handled. */
  #draining = false

  constructor(socket: WebSocket, remoteAddress: string | undefined, host: ConnectionHost) {
    this.socket = socket
    this.remoteAddress = remoteAddress
    this.host = host
    const { rateLimit, byteRateLimit } = host.options
    this.#limiter = new RateLimiter(rateLimit.perSecond, rateLimit.burst)
    this.#byteLimiter = new RateLimiter(byteRateLimit.perSecond, byteRateLimit.burst)
    this.#protocol = socket.protocol === PROTOCOL_V2 ? new V2Protocol(this) : new V1Protocol(this)
    socket.once('close', () => this.#stopped())
  }

  get options(): ResolvedServerOptions {
    return this.host.options
  }

  /** The protocol version negotiated at the upgrade. */
  get protocol(): 1 | 2 {
    return this.#protocol.version
  }

  get authenticated(): boolean {
    return this.#authenticated
  }

  /** Whether the client has not yet sent a valid `authenticate` (v1) or record #0 (v2). */
  get awaitingAuth(): boolean {
    return this.#protocol.awaitingAuth
  }

  /** Whether `close` was called (the socket may still be open, waiting for the peer's close). */
  get closing(): boolean {
    return this.#closeRequested
  }

  /** The socket is open: starts the handshake (v2 sends its welcome). */
  start(): void {
    this.#protocol.start()
  }

  /** Takes one incoming frame; nothing is read from a client refused before authenticating. */
  receive(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
    if (this.#refused || this.#draining) return
    this.lastSeenAt = Date.now()
    this.#protocol.receive(toBuffer(data), isBinary)
  }

  /**
   * Sends an encrypted event to this connection. Encryption is synchronous, so frames leave in the
   * order of the calls. Resolves false when the connection cannot send (v1: closed, not reading,
   * or binary data; v2: not authenticated, or its session forgotten).
   */
  send(event: string, data?: unknown): Promise<boolean> {
    try {
      return Promise.resolve(this.deliver(new OutgoingMessage(event, data)))
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /**
   * A message to this connection (or its user): v2 puts it on the session stream (numbered, kept
   * until acknowledged, written as soon as the client reads); v1 seals and writes it now.
   */
  deliver(message: OutgoingMessage): boolean {
    return this.#authenticated && this.#protocol.deliver(message)
  }

  /**
   * The message sealed for this connection, or null when it cannot send: not authenticated, closed,
   * or more than `sendHighWaterMark` bytes unread (dropped and counted). Write it with `write`.
   */
  seal(message: OutgoingMessage): SealedFrame | null {
    if (!this.#authenticated || this.socket.readyState !== this.socket.OPEN) return null
    if (this.#behind()) return null
    return this.#protocol.seal(message)
  }

  /** As `seal`, with the cipher left to a fan-out worker: the frame's place is taken now. */
  reserve(message: OutgoingMessage): PendingSeal | null {
    if (!this.#authenticated || this.socket.readyState !== this.socket.OPEN) return null
    if (this.#behind()) return null
    return this.#protocol.reserve(message)
  }

  /** The key a fan-out worker seals this connection's frames with (null before the handshake made it). */
  workerKey(): WorkerKey | null {
    return this.#protocol.workerKey()
  }

  /** Writes a sealed frame; false when the socket has closed since it was sealed. */
  write(frame: SealedFrame): boolean {
    return this.#protocol.write(frame)
  }

  /**
   * Closes with `code`; a peer that does not answer the close within a moment is cut. A client
   * refused before authenticating gets nothing more handled (only `ws` still reads, for its close
   * frame); an authenticated one keeps what it sent before the close being handled (a re-key
   * must not lose messages in flight).
   */
  close(code: number, reason: string): void {
    if (!this.#authenticated) this.#refused = true
    if (this.#closeRequested) return
    this.#closeRequested = true
    this.socket.close(code, reason)
    setTimeout(() => this.socket.terminate(), CLOSE_GRACE_MS).unref()
  }

  /**
   * Drain (a graceful restart): nothing more the client sends is handled, nor what is held back
   * over the budgets (a v2 client sends it again after its resume, elsewhere). Resolves once what
   * was taken is handled, acknowledged and written through.
   */
  async drain(): Promise<void> {
    this.#draining = true
    if (this.#releaseTimer) clearTimeout(this.#releaseTimer)
    this.#releaseTimer = null
    this.#held.length = 0
    this.#heldBytes = 0
    for (let last: Promise<void> | null = null; last !== this.#incoming;) await (last = this.#incoming)
    await this.#protocol.drained?.()
  }

  /** Whether this client has been too slow a reader for longer than `slowConsumerTimeout`. */
  tooSlow(now = Date.now()): boolean {
    return this.#behindSince !== null && now - this.#behindSince > this.options.slowConsumerTimeout
  }

  /**
   * Ends the connection when nothing arrived from the client for too long: a ready v2 client after
   * 3 × `heartbeat` (close 4007), any other after `idleTimeout` (the socket is cut). True when it did.
   */
  endIfSilent(now = Date.now()): boolean {
    if (this.#closeRequested) return false
    const liveness = this.#protocol.version === 2 && this.#authenticated
    const limit = liveness ? 3 * this.options.heartbeat : this.options.idleTimeout
    if (now - this.lastSeenAt <= limit) return false
    if (liveness) this.close(SERVER_CLOSE.LIVENESS, 'No record for 3 heartbeats')
    else this.socket.terminate()
    return true
  }

  // What the protocols use.

  /**
   * Queues a frame's handling after the ones before it. The queue is bounded: while it holds
   * `incomingQueue` frames or bytes the socket is paused (TCP pushes back on the client). What
   * was already read when the pause came still queues, up to twice the frames and one more
   * `maxPayload` of bytes; beyond that frames are dropped (false). A closed connection's queued
   * frames are not handled.
   */
  enqueue(size: number, handle: () => Promise<void> | void): boolean {
    const { incomingQueue: limit, maxPayload } = this.options
    if (this.#queued.frames >= 2 * limit.frames || this.#queued.bytes >= limit.bytes + maxPayload) {
      this.drop('rateLimited')
      return false
    }
    this.#queued.frames++
    this.#queued.bytes += size
    if (this.#queued.frames >= limit.frames || this.#queued.bytes >= limit.bytes) {
      if (!this.socket.isPaused) this.host.events.readsPaused++
      this.socket.pause()
    }
    this.#incoming = this.#incoming
      .then(() => (this.#refused || this.socket.readyState === this.socket.CLOSED ? undefined : handle()))
      .catch((error: unknown) => {
        this.options.logger.error('frame handler failed', { connection: this.id, error: String(error) })
      })
      .finally(() => {
        this.#queued.frames--
        this.#queued.bytes -= size
        if (this.socket.isPaused && this.#queued.frames < limit.frames && this.#queued.bytes < limit.bytes) {
          this.socket.resume()
        }
      })
    return true
  }

  /** Takes one message and `size` bytes from the budgets (both or neither); false when over either. */
  takeBudget(size: number): boolean {
    const now = Date.now()
    if (this.#limiter.delayFor(1, now) > 0 || this.#byteLimiter.delayFor(size, now) > 0) return false
    this.#limiter.take(now)
    this.#byteLimiter.take(now, size)
    return true
  }

  /** Whether a frame of `size` bytes may be handled now: nothing is held back and the budgets allow it. */
  spendBudget(size: number): boolean {
    return this.#held.length === 0 && this.takeBudget(size)
  }

  /**
   * v2: queues a record's handling within the message and byte budgets. A v2 record cannot be
   * dropped (the client's next seq would skip ahead), so one over a budget, and every one after it
   * (to keep their order), is held back and queued as the budgets refill. Reading goes on (the
   * client's close and liveness are still seen); held and queued records together stay within the
   * incoming queue's bounds, and a client beyond them is told `RATE_LIMITED` and closed with 1013.
   */
  enqueueWithinBudget(size: number, handle: () => Promise<void> | void, notice: string): void {
    if (this.spendBudget(size)) {
      if (!this.enqueue(size, handle)) this.#overflow()
      return
    }
    const { incomingQueue: limit, maxPayload } = this.options
    const frames = this.#queued.frames + this.#held.length
    const bytes = this.#queued.bytes + this.#heldBytes + size
    if (frames >= 2 * limit.frames || bytes > limit.bytes + maxPayload) {
      this.drop('rateLimited')
      return this.#overflow()
    }
    this.#held.push({ size, handle })
    this.#heldBytes += size
    this.drop('rateLimited')
    this.noticeRateLimit(notice)
    this.#scheduleRelease()
  }

  /** A notice to the client: v2 an `error` record, v1 a plaintext `error` frame. */
  notice(code: string, message: string): void {
    this.#protocol.notice(code, message)
  }

  /** Tells the client it goes over the rate limit, at most once a second. */
  noticeRateLimit(message: string): void {
    const now = Date.now()
    if (now - this.#lastRateLimitNotice < 1000) return
    this.#lastRateLimitNotice = now
    this.#protocol.notice('RATE_LIMITED', message)
  }

  /** Closes a client that broke the rules before authenticating. */
  refuse(code: number, reason: string, dropped: keyof DropCounts = 'malformed'): void {
    this.options.logger.warn('connection refused', { connection: this.id, code, reason })
    this.drop(dropped)
    this.close(code, reason)
  }

  drop(reason: keyof DropCounts): void {
    this.drops[reason]++
    this.host.onDrop(this, reason)
  }

  /** Counts this connection against its user's cap; false (logged) when the user has too many. */
  admit(userId: string): boolean {
    if (!this.host.admitUser(userId)) {
      this.options.logger.warn('connection refused', { connection: this.id, reason: 'user-connections' })
      return false
    }
    this.userId = userId
    return true
  }

  /** The handshake succeeded: frames up to `maxPayload` are read from now on. */
  markAuthenticated(): void {
    this.#authenticated = true
    raiseMaxPayload(this.socket, this.options.maxPayload)
    this.host.sealWorkers?.attach(this)
    this.host.onAuthenticated(this)
  }

  /**
   * Writes one frame to the socket, shown to `onFrame`; false when the socket is not open, or
   * (with `backPressure`) when the client has more than `sendHighWaterMark` bytes unread.
   */
  transmit(frame: string | Buffer, backPressure = false): boolean {
    if (this.socket.readyState !== this.socket.OPEN) return false
    if (backPressure && this.#behind()) return false
    this.showFrame('out', frame)
    this.socket.send(frame)
    return true
  }

  /** Shows a frame to `onFrame` as a proxy sees it: text, or a copy of a record's bytes. */
  showFrame(direction: 'in' | 'out', frame: string | Uint8Array): void {
    const { onFrame } = this.options
    if (!onFrame) return
    if (typeof frame === 'string') return onFrame({ connectionId: this.id, direction, text: frame })
    const text = `[binary record, ${frame.length} bytes]`
    onFrame({ connectionId: this.id, direction, text, binary: Uint8Array.from(frame) })
  }

  /**
   * Calls `retry` once, when the bytes waiting for the client were all taken by the network (the
   * TCP socket's `drain`; `ws` exposes no event of its own, and is pinned).
   */
  whenDrained(retry: () => void): void {
    const raw = (this.socket as unknown as { _socket?: Duplex })._socket
    if (this.#drainAwaited || !raw) return
    this.#drainAwaited = true
    raw.once('drain', () => {
      this.#drainAwaited = false
      retry()
    })
  }

  /** Whether a frame may be written now: the socket is open and the client reads what it is sent. */
  canWrite(): boolean {
    return this.socket.readyState === this.socket.OPEN && !this.#behind(false)
  }

  /** Whether the client is over `sendHighWaterMark` (counted as a slow-consumer drop when `dropping`). */
  #behind(dropping = true): boolean {
    if (this.socket.bufferedAmount > this.options.sendHighWaterMark) {
      this.#behindSince ??= Date.now()
      if (dropping) this.drop('slowConsumer')
      return true
    }
    this.#behindSince = null
    return false
  }

  /** Queues the held records the budgets allow, when they allow them. */
  #scheduleRelease(): void {
    if (this.#releaseTimer || this.#held.length === 0) return
    const now = Date.now()
    const { size } = this.#held[0]!
    const wait = Math.max(this.#limiter.delayFor(1, now), this.#byteLimiter.delayFor(size, now))
    this.#releaseTimer = setTimeout(() => {
      this.#releaseTimer = null
      if (this.socket.readyState === this.socket.CLOSED) return
      while (this.#held.length > 0 && this.takeBudget(this.#held[0]!.size)) {
        const { size: next, handle } = this.#held.shift()!
        this.#heldBytes -= next
        if (!this.enqueue(next, handle)) return this.#overflow()
      }
      this.#scheduleRelease()
    }, wait)
  }

  /** A v2 record that can neither be handled nor dropped: the client must slow down. */
  #overflow(): void {
    this.#protocol.notice('RATE_LIMITED', 'Too many records in flight: slow down.')
    this.close(SERVER_CLOSE.TRY_AGAIN_LATER, 'Too many records in flight')
  }

  /** The socket closed: nothing held is handled any more. */
  #stopped(): void {
    if (this.#releaseTimer) clearTimeout(this.#releaseTimer)
    this.#releaseTimer = null
    this.#held.length = 0
    this.#protocol.stop()
    this.host.sealWorkers?.detach(this)
  }
}

/**
 * Lets an authenticated connection receive frames up to `maxPayload`: the server's `ws` reads
 * frames before authentication with the much smaller `maxHandshakePayload` limit, so a stranger
 * cannot make it buffer megabytes. `ws` has no public setter for a socket's limit; its receiver's
 * field is set directly (ws is pinned; the limits tests fail if the field moves).
 */
function raiseMaxPayload(socket: WebSocket, maxPayload: number): void {
  const receiver = (socket as unknown as { _receiver?: { _maxPayload?: unknown } })._receiver
  if (receiver && typeof receiver._maxPayload === 'number') receiver._maxPayload = maxPayload
}

function toBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data)
  return Buffer.isBuffer(data) ? data : Buffer.from(data)
}
