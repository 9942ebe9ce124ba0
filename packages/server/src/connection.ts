import type { KeyObject } from 'node:crypto'
import {
  encodeFrame,
  handshakeTranscript,
  parseFrame,
  serializeMessage,
  type Frame,
  type IncomingFrame,
} from '@encrypted-socket/core'
import type { WebSocket } from 'ws'
import { rejectionReason } from './auth'
import { openMessage, sealFrame } from './crypto/messageCrypto'
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
  /** The token was refused. */
  POLICY_VIOLATION: 1008,
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
  /** Frames over the rate limit. */
  rateLimited: number
}

export const emptyDropCounts = (): DropCounts => ({
  unauthenticated: 0,
  plaintext: 0,
  undecryptable: 0,
  replayed: 0,
  malformed: 0,
  rateLimited: 0,
})

/** What a connection needs from its server. */
export interface ConnectionHost {
  options: ResolvedServerOptions
  keyPool: KeyPool
  onAuthenticated(connection: ServerConnection): void
  onRoomChange(connection: ServerConnection, type: 'join' | 'leave', rooms: readonly string[]): void
  onEvent(connection: ServerConnection, event: string, data: unknown): Promise<void>
  onDrop(connection: ServerConnection, reason: keyof DropCounts): void
}

const MAX_ROOM_NAME = 128
const MAX_ROOMS = 100

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
  readonly #seenIvs = new Set<string>()
  #state: 'awaiting-auth' | 'authenticating' | 'authenticated' = 'awaiting-auth'
  #key: KeyObject | null = null
  #incoming = Promise.resolve()
  #lastRateLimitNotice = 0

  constructor(socket: WebSocket, remoteAddress: string | undefined, host: ConnectionHost) {
    this.socket = socket
    this.remoteAddress = remoteAddress
    this.#host = host
    const { perSecond, burst } = host.options.rateLimit
    this.#limiter = new RateLimiter(perSecond, burst)
  }

  get authenticated(): boolean {
    return this.#state === 'authenticated'
  }

  /** Queues an incoming message; messages are handled strictly in arrival order. */
  receive(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
    this.lastSeenAt = Date.now()
    if (!this.#limiter.take()) {
      this.#drop('rateLimited')
      this.#noticeRateLimit()
      return
    }
    const text = isBinary ? null : toText(data)
    if (text !== null) this.#host.options.onFrame?.({ connectionId: this.id, direction: 'in', text })
    const frame: IncomingFrame =
      text === null ? { type: 'malformed', reason: 'binary frame' } : parseFrame(text)
    this.#incoming = this.#incoming
      .then(() => this.#handle(frame))
      .catch((error: unknown) => {
        this.#host.options.logger.error('frame handler failed', { connection: this.id, error: String(error) })
      })
  }

  /**
   * Sends an encrypted event. Encryption is synchronous, so frames leave in the order of the
   * calls. Resolves false when the connection cannot send.
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

  /** Writes a sealed frame; false when the socket has closed since it was sealed. */
  write(frame: string): boolean {
    if (this.socket.readyState !== this.socket.OPEN) return false
    this.#write(frame)
    return true
  }

  close(code: number, reason: string): void {
    this.socket.close(code, reason)
  }

  async #handle(frame: IncomingFrame): Promise<void> {
    if (frame.type === 'malformed') return this.#drop('malformed')
    if (frame.type === 'authenticate') {
      if (this.#state !== 'awaiting-auth') return this.#drop('malformed')
      return this.#authenticate(frame.token, frame.clientPublicKey)
    }
    if (frame.type === 'heartbeat') return
    if (!this.authenticated) return this.#drop('unauthenticated')
    switch (frame.type) {
      case 'encrypted':
        return this.#handleEncrypted(frame.iv, frame.ct)
      case 'join':
      case 'leave':
        return this.#changeRooms(frame.type, frame.rooms)
      case 'plaintext':
        return this.#drop('plaintext')
      default:
        return this.#drop('malformed')
    }
  }

  async #authenticate(token: string, clientPublicKey: Uint8Array<ArrayBuffer>): Promise<void> {
    const { options } = this.#host
    this.#state = 'authenticating'
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
    if (!isP256PublicKey(clientPublicKey)) {
      options.logger.warn('invalid client public key', {
        connection: this.id,
        reason: 'ERR_INVALID_PUBLIC_KEY',
      })
      this.close(SERVER_CLOSE.PROTOCOL_ERROR, 'Invalid client public key')
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
    if (this.#seenIvs.has(ivKey(iv))) return this.#drop('replayed')
    const message = openMessage(key, iv, ct)
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
    this.#seenIvs.add(ivKey(iv))
    if (this.#seenIvs.size >= this.#host.options.maxTrackedIvs) {
      // Forgetting IVs would reopen replays; a new connection brings a new key instead.
      this.close(SERVER_CLOSE.REKEY, 'Re-key')
    }
  }

  #sendControl(frame: Frame): void {
    if (this.socket.readyState === this.socket.OPEN) this.#write(encodeFrame(frame))
  }

  #write(text: string): void {
    this.#host.options.onFrame?.({ connectionId: this.id, direction: 'out', text })
    this.socket.send(text)
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

function toText(data: Buffer | ArrayBuffer | Buffer[]): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8')
  return Buffer.from(data instanceof ArrayBuffer ? new Uint8Array(data) : data).toString('utf8')
}

/** The IV's bytes as a string key (one character per byte). */
function ivKey(iv: Uint8Array): string {
  return Buffer.from(iv.buffer, iv.byteOffset, iv.length).toString('latin1')
}
