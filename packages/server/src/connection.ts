import type { KeyObject } from 'node:crypto'
import {
  encodeFrame,
  handshakeTranscript,
  parseFrame,
  ReplayGuard,
  serializeMessage,
  type Frame,
  type IncomingFrame,
} from '@encrypted-socket/core'
import type { WebSocket } from 'ws'
import { rejectionReason } from './auth'
import { parseClientFrame } from './clientFrame'
import { jsonDepthExceeds } from './jsonDepth'
import { openFrame, sealFrame } from './crypto/messageCrypto'
import { fromEphemeralKeys, type ServerKeyPair } from './crypto/serverKeyPair'
import { deriveSessionKey, isP256PublicKey } from './crypto/sessionKey'
import type { ResolvedServerOptions } from './options'
import type { KeyPool } from './keyPool'
import { RateLimiter } from './rateLimiter'

/** Close codes the server uses. */
export const SERVER_CLOSE = {
  /** Server shutting down: clients reconnect (to another instance). */
  GOING_AWAY: 1001,
  /** The client's public key is not a P-256 point. */
  PROTOCOL_ERROR: 1002,
  /** The token was refused, or the client sent something other than one `authenticate` first. */
  POLICY_VIOLATION: 1008,
  /** A frame over the size allowed at this point (`maxHandshakePayload`, `maxPayload`). */
  TOO_BIG: 1009,
  /** Too many connections for this user, or the client does not read what it is sent: retry later. */
  TRY_AGAIN_LATER: 1013,
  /** The replay window is full: reconnect for a fresh key. */
  REKEY: 4003,
  /** No valid `authenticate` in time. */
  AUTH_TIMEOUT: 4408,
} as const

/** Why frames were dropped, counted per connection and for the whole server. */
export interface DropCounts {
  /** Anything but `authenticate` before authentication. */
  unauthenticated: number
  /** Application events in plaintext. */
  plaintext: number
  /** Encrypted frames that failed to decrypt or held no valid message. */
  undecryptable: number
  /** Encrypted frames with an IV already seen on the connection. */
  replayed: number
  /** Frames that are not protocol v1 (binary, bad JSON, bad fields, a second `authenticate`). */
  malformed: number
  /** Frames over the rate limit (messages or bytes per second), or beyond a full incoming queue. */
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
  onEvent(connection: ServerConnection, event: string, data: unknown): Promise<void>
  onDrop(connection: ServerConnection, reason: keyof DropCounts): void
}

const MAX_ROOM_NAME = 128
const MAX_ROOMS = 100

/** A socket that does not finish the closing handshake in this time is cut. */
const CLOSE_GRACE_MS = 2000

/** One client: its handshake, its session key, and its frames, handled one at a time in order. */
export class ServerConnection {
  readonly id = crypto.randomUUID()
  readonly socket: WebSocket
  readonly remoteAddress: string | undefined
  userId: string | null = null
  readonly rooms = new Set<string>()
  readonly drops = emptyDropCounts()
  lastSeenAt = Date.now()

  readonly #host: ConnectionHost
  readonly #limiter: RateLimiter
  readonly #byteLimiter: RateLimiter
  /** IVs seen on this connection, received and sent (one key serves both directions). */
  readonly #seenIvs: ReplayGuard
  #state: 'awaiting-auth' | 'authenticating' | 'authenticated' = 'awaiting-auth'
  #key: KeyObject | null = null
  #incoming = Promise.resolve()
  #queued = { frames: 0, bytes: 0 }
  #lastRateLimitNotice = 0
  /** Since when writes to this client have been over the high-water mark (null: it keeps up). */
  #behindSince: number | null = null
  /** Refused before authentication: nothing more from this client is handled. */
  #refused = false
  #closeRequested = false

  constructor(socket: WebSocket, remoteAddress: string | undefined, host: ConnectionHost) {
    this.socket = socket
    this.remoteAddress = remoteAddress
    this.#host = host
    const { rateLimit, byteRateLimit } = host.options
    this.#limiter = new RateLimiter(rateLimit.perSecond, rateLimit.burst)
    this.#byteLimiter = new RateLimiter(byteRateLimit.perSecond, byteRateLimit.burst)
    this.#seenIvs = new ReplayGuard(host.options.maxTrackedIvs)
  }

  get authenticated(): boolean {
    return this.#state === 'authenticated'
  }

  /**
   * Takes one incoming message. Before authentication exactly one small `authenticate` frame is
   * allowed; anything else closes the connection. After it, frames go through the message and
   * byte budgets and are handled strictly in arrival order.
   */
  receive(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
    if (this.#refused) return
    this.lastSeenAt = Date.now()
    if (this.#state !== 'authenticated') return this.#receiveFirst(data, isBinary)
    const size = byteLength(data)
    if (!this.#limiter.take(this.lastSeenAt) || !this.#byteLimiter.take(this.lastSeenAt, size)) {
      this.#drop('rateLimited')
      this.#noticeRateLimit()
      return
    }
    const text = isBinary ? null : toText(data)
    if (text !== null) this.#host.options.onFrame?.({ connectionId: this.id, direction: 'in', text })
    const frame: IncomingFrame =
      text === null
        ? { type: 'malformed', reason: 'binary frame' }
        : parseClientFrame(text, { maxControlFrame: this.#host.options.maxControlPayload })
    this.#enqueue(size, () => this.#handle(frame))
  }

  /** The one frame allowed before authentication: an `authenticate`, small and shallow. */
  #receiveFirst(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
    const { options } = this.#host
    if (this.#state === 'authenticating') {
      return this.#refuse(SERVER_CLOSE.POLICY_VIOLATION, 'One authenticate frame, then wait for connected')
    }
    this.#state = 'authenticating'
    if (byteLength(data) > options.maxHandshakePayload) {
      return this.#refuse(SERVER_CLOSE.TOO_BIG, 'Authenticate frame too big')
    }
    const text = isBinary ? null : toText(data)
    if (text !== null) options.onFrame?.({ connectionId: this.id, direction: 'in', text })
    // A small frame, but `[[[[…` parses slowly even at that size: the depth is checked first.
    const frame: IncomingFrame | null = text === null || jsonDepthExceeds(text, 2) ? null : parseFrame(text)
    if (frame?.type !== 'authenticate') {
      return this.#refuse(SERVER_CLOSE.POLICY_VIOLATION, 'Expected an authenticate frame')
    }
    this.#enqueue(0, () => this.#authenticate(frame.token, frame.clientPublicKey))
  }

  /**
   * Queues a frame's handling after the ones before it. The queue is bounded: while it holds
   * `incomingQueue` frames or bytes the socket is paused (TCP pushes back on the client). What
   * was already read when the pause came still queues, up to twice the frames and one more
   * `maxPayload` of bytes; beyond that frames are dropped. A closed connection's queued frames
   * are not handled.
   */
  #enqueue(size: number, handle: () => Promise<void> | void): void {
    const { incomingQueue: limit, maxPayload } = this.#host.options
    if (this.#queued.frames >= 2 * limit.frames || this.#queued.bytes >= limit.bytes + maxPayload) {
      return this.#drop('rateLimited')
    }
    this.#queued.frames++
    this.#queued.bytes += size
    if (this.#queued.frames >= limit.frames || this.#queued.bytes >= limit.bytes) this.socket.pause()
    this.#incoming = this.#incoming
      .then(() => (this.#refused || this.socket.readyState === this.socket.CLOSED ? undefined : handle()))
      .catch((error: unknown) => {
        this.#host.options.logger.error('frame handler failed', { connection: this.id, error: String(error) })
      })
      .finally(() => {
        this.#queued.frames--
        this.#queued.bytes -= size
        if (this.socket.isPaused && this.#queued.frames < limit.frames && this.#queued.bytes < limit.bytes) {
          this.socket.resume()
        }
      })
  }

  /**
   * Sends an encrypted event. Encryption is synchronous, so frames leave in the order of the
   * calls. Resolves false when the connection cannot send (closed, or not reading: see `write`).
   */
  send(event: string, data?: unknown): Promise<boolean> {
    try {
      const frame = this.seal(serializeMessage({ event, data }))
      return Promise.resolve(frame !== null && this.write(frame))
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /**
   * The `encrypted` frame of a serialised message under this connection's key, with a fresh IV
   * (remembered against reflection), or null when the connection cannot send. Write it with `write`.
   */
  seal(plaintext: Uint8Array): string | null {
    const key = this.#key
    if (!key || !this.authenticated || this.socket.readyState !== this.socket.OPEN) return null
    const { frame, iv } = sealFrame(key, plaintext)
    this.#rememberIv(iv)
    return frame
  }

  /**
   * Writes a sealed frame; false when the socket has closed since it was sealed, or when the
   * client has more than `sendHighWaterMark` bytes unread (the frame is dropped and counted).
   */
  write(frame: string): boolean {
    if (this.socket.readyState !== this.socket.OPEN) return false
    return this.#write(frame)
  }

  /** Closes with `code`; a peer that does not answer the close within a moment is cut. */
  /**
   * Closes with `code`; a peer that does not answer the close within a moment is cut. A client
   * refused before authenticating gets nothing more handled (only `ws` still reads, for its close
   * frame); an authenticated one keeps what it sent before the close being handled (a re-key
   * must not lose messages in flight).
   */
  close(code: number, reason: string): void {
    if (!this.authenticated) this.#refused = true
    if (this.#closeRequested) return
    this.#closeRequested = true
    this.socket.close(code, reason)
    setTimeout(() => this.socket.terminate(), CLOSE_GRACE_MS).unref()
  }

  /** Whether this client has been too slow a reader for longer than `slowConsumerTimeout`. */
  tooSlow(now = Date.now()): boolean {
    return this.#behindSince !== null && now - this.#behindSince > this.#host.options.slowConsumerTimeout
  }

  /** Closes a client that broke the rules before authenticating. */
  #refuse(code: number, reason: string): void {
    this.#host.options.logger.warn('connection refused', { connection: this.id, code, reason })
    this.#drop('malformed')
    this.close(code, reason)
  }

  async #handle(frame: IncomingFrame): Promise<void> {
    if (frame.type === 'malformed') return this.#drop('malformed')
    switch (frame.type) {
      case 'encrypted':
        return this.#handleEncrypted(frame.iv, frame.ct)
      case 'join':
      case 'leave':
        return this.#changeRooms(frame.type, frame.rooms)
      case 'heartbeat':
        return
      case 'plaintext':
        return this.#drop('plaintext')
      default:
        return this.#drop('malformed') // a second authenticate, or a server's frame
    }
  }

  async #authenticate(token: string, clientPublicKey: Uint8Array<ArrayBuffer>): Promise<void> {
    const { options } = this.#host
    // The key is checked before the token, so that how the connection ends says nothing about
    // whether a token is valid.
    if (!isP256PublicKey(clientPublicKey)) {
      options.logger.warn('invalid client public key', {
        connection: this.id,
        reason: 'ERR_INVALID_PUBLIC_KEY',
      })
      this.close(SERVER_CLOSE.PROTOCOL_ERROR, 'Invalid client public key')
      return
    }
    let userId: string
    try {
      userId = await options.verifyToken(token)
      if (typeof userId !== 'string' || userId.length === 0) throw new Error('no user id')
    } catch (error) {
      options.logger.warn('authentication refused', { connection: this.id, reason: rejectionReason(error) })
      this.#sendControl({ type: 'error', code: 'AUTH_FAILED', message: 'Authentication failed' })
      this.close(SERVER_CLOSE.POLICY_VIOLATION, 'Authentication failed')
      return
    }
    const keys = options.createKeys
      ? fromEphemeralKeys(await options.createKeys())
      : this.#host.keyPool.take()
    const salt = options.createSalt()
    const proof = options.identity && {
      identityKey: options.identity.publicKey,
      signature: options.identity.sign(handshakeTranscript(clientPublicKey, keys.publicKey, salt)),
    }
    if (this.socket.readyState !== this.socket.OPEN) return
    if (!this.#host.admitUser(userId)) {
      options.logger.warn('connection refused', { connection: this.id, reason: 'user-connections' })
      this.#sendControl({ type: 'error', code: 'TOO_MANY_CONNECTIONS', message: 'Too many connections' })
      this.close(SERVER_CLOSE.TRY_AGAIN_LATER, 'Too many connections for this user')
      return
    }
    this.userId = userId
    this.#sendControl({
      type: 'connected',
      id: this.id,
      userId,
      time: new Date().toISOString(),
      serverPublicKey: keys.publicKey,
      salt,
      ...proof,
    })
    // `connected` is on its way; the key is derived now, while the client derives its own, and
    // before any later frame of this connection is handled.
    if (!this.#establishKey(keys, clientPublicKey, salt)) return
    this.#state = 'authenticated'
    raiseMaxPayload(this.socket, options.maxPayload)
    this.#host.onAuthenticated(this)
  }

  #establishKey(keys: ServerKeyPair, clientPublicKey: Uint8Array, salt: Uint8Array): boolean {
    const { options } = this.#host
    try {
      this.#key = deriveSessionKey(keys, clientPublicKey, salt, options.ecdhInfo)
      return true
    } catch (error) {
      options.logger.error('key derivation failed', { connection: this.id, error: String(error) })
      this.close(1011, 'Key derivation failed')
      return false
    }
  }

  #handleEncrypted(iv: Uint8Array<ArrayBuffer>, ct: Uint8Array<ArrayBuffer>): Promise<void> | void {
    const key = this.#key
    if (!key) return this.#drop('unauthenticated')
    if (this.#seenIvs.seen(iv)) return this.#drop('replayed')
    const message = openFrame(key, iv, ct, this.#host.options.maxDepth)
    if (!message) return this.#drop('undecryptable')
    this.#rememberIv(iv)
    return this.#host.onEvent(this, message.event, message.data)
  }

  #changeRooms(type: 'join' | 'leave', rooms: readonly string[]): void {
    const changed: string[] = []
    for (const room of rooms) {
      if (room.length === 0 || room.length > MAX_ROOM_NAME) continue
      if (type === 'join' && !this.rooms.has(room) && this.rooms.size < MAX_ROOMS) {
        this.rooms.add(room)
        changed.push(room)
      } else if (type === 'leave' && this.rooms.delete(room)) {
        changed.push(room)
      }
    }
    if (changed.length > 0) this.#host.onRoomChange(this, type, changed)
  }

  #rememberIv(iv: Uint8Array): void {
    this.#seenIvs.remember(iv)
    if (this.#seenIvs.full) {
      // Forgetting IVs would reopen replays; a new connection brings a new key instead.
      this.close(SERVER_CLOSE.REKEY, 'Re-key')
    }
  }

  #sendControl(frame: Frame): void {
    if (this.socket.readyState === this.socket.OPEN) this.#write(encodeFrame(frame))
  }

  #write(text: string): boolean {
    const now = Date.now()
    if (this.socket.bufferedAmount > this.#host.options.sendHighWaterMark) {
      this.#behindSince ??= now
      this.#drop('slowConsumer')
      return false
    }
    this.#behindSince = null
    this.#host.options.onFrame?.({ connectionId: this.id, direction: 'out', text })
    this.socket.send(text)
    return true
  }

  #noticeRateLimit(): void {
    const now = Date.now()
    if (now - this.#lastRateLimitNotice < 1000) return
    this.#lastRateLimitNotice = now
    this.#sendControl({
      type: 'error',
      code: 'RATE_LIMITED',
      message: 'Too many messages: some were dropped.',
    })
  }

  #drop(reason: keyof DropCounts): void {
    this.drops[reason]++
    this.#host.onDrop(this, reason)
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

function byteLength(data: Buffer | ArrayBuffer | Buffer[]): number {
  return Array.isArray(data) ? data.reduce((sum, chunk) => sum + chunk.length, 0) : data.byteLength
}

function toText(data: Buffer | ArrayBuffer | Buffer[]): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8')
  return Buffer.from(data instanceof ArrayBuffer ? new Uint8Array(data) : data).toString('utf8')
}
