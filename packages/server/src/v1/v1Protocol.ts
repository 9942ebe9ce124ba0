import type { KeyObject } from 'node:crypto'
import {
  encodeFrame,
  handshakeTranscript,
  parseFrame,
  ReplayGuard,
  type Frame,
  type IncomingFrame,
} from '@encrypted-socket/core'
import { verifyClientToken } from '../auth'
import { SERVER_CLOSE } from '../closeCodes'
import { parseClientFrame } from '../clientFrame'
import type { ServerConnection } from '../connection'
import { openBytes } from '../crypto/aesGcm'
import { readOpenedFrame, sealFrame } from '../crypto/messageCrypto'
import { counterIv, SentIvs } from '../crypto/sentIvs'
import { fromEphemeralKeys, type ServerKeyPair } from '../crypto/serverKeyPair'
import { deriveSessionKey, isP256PublicKey } from '../crypto/sessionKey'
import { jsonDepthExceeds } from '../jsonDepth'
import type { OutgoingMessage } from '../outgoing'
import type { ConnectionProtocol, PendingSeal, SealedFrame, WorkerKey } from '../protocol'
import { refuseJoinOf, type JoinRefusal } from '../roomAuthorization'
import { OrderedWrites } from '../workers/orderedWrites'

const UNDECRYPTABLE_NOTICE =
  "The first encrypted frame did not decrypt: check that the client's ecdhInfo matches the server's."

/**
 * Protocol v1 (docs/protocol.md) on one connection: one plaintext `authenticate`, then
 * `encrypted` frames under one session key (replays caught by the IVs seen), plaintext control
 * frames, and frames that are dropped, never fatal.
 */
export class V1Protocol implements ConnectionProtocol {
  readonly version = 1
  readonly #connection: ServerConnection
  /** IVs received on this connection (replays). */
  readonly #seenIvs: ReplayGuard
  /** The IVs of the frames this server sends: a counter, so a reflection needs no set (one key serves both directions). */
  readonly #sentIvs = new SentIvs()
  /** Frames leave in the order their IVs were taken, also when a fan-out worker seals some (`workers`). */
  readonly #writes: OrderedWrites
  #state: 'awaiting-auth' | 'authenticating' | 'authenticated' = 'awaiting-auth'
  #key: KeyObject | null = null
  /** Whether any frame decrypted yet (until then a failure is likely a wrong ecdhInfo). */
  #confirmed = false
  #undecryptableNoticed = false

  constructor(connection: ServerConnection) {
    this.#connection = connection
    this.#seenIvs = new ReplayGuard(connection.options.maxTrackedIvs)
    this.#writes = new OrderedWrites((frame, backPressure) => connection.transmit(frame, backPressure))
  }

  get awaitingAuth(): boolean {
    return this.#state !== 'authenticated'
  }

  start(): void {
    // The client speaks first.
  }

  stop(): void {}

  /**
   * Before authentication exactly one small `authenticate` frame is allowed; anything else closes
   * the connection. After it, frames go through the message and byte budgets and are handled
   * strictly in arrival order.
   */
  receive(data: Buffer, isBinary: boolean): void {
    const connection = this.#connection
    if (this.#state !== 'authenticated') return this.#receiveFirst(data, isBinary)
    if (!connection.takeBudget(data.length)) {
      connection.drop('rateLimited')
      connection.noticeRateLimit('Too many messages: some were dropped.')
      return
    }
    const text = isBinary ? null : data.toString('utf8')
    if (text !== null) connection.showFrame('in', text)
    const frame: IncomingFrame =
      text === null
        ? { type: 'malformed', reason: 'binary frame' }
        : parseClientFrame(text, { maxControlFrame: connection.options.maxControlPayload })
    connection.enqueue(data.length, () => this.#handle(frame))
  }

  deliver(message: OutgoingMessage): boolean {
    const frame = this.#connection.seal(message)
    return frame !== null && this.write(frame)
  }

  seal(message: OutgoingMessage): SealedFrame | null {
    const plaintext = this.#plaintextOf(message)
    return plaintext && this.#key ? sealFrame(this.#key, plaintext, this.#sentIvs.next()).frame : null
  }

  reserve(message: OutgoingMessage): PendingSeal | null {
    const plaintext = this.#plaintextOf(message)
    const key = this.#key
    if (!plaintext || !key) return null
    const counter = this.#sentIvs.take()
    const slot = this.#writes.reserve()
    const prefix = this.#sentIvs.prefix
    return {
      counter,
      plaintext,
      sealHere: () => sealFrame(key, plaintext, counterIv(prefix, counter)).frame,
      complete: (frame) => this.#writes.fill(slot, typeof frame === 'string' ? frame : null),
    }
  }

  workerKey(): WorkerKey | null {
    return this.#key && { protocol: 1, key: this.#key, ivPrefix: this.#sentIvs.prefix }
  }

  write(frame: SealedFrame): boolean {
    if (typeof frame !== 'string') return false
    if (this.#writes.idle) return this.#connection.transmit(frame)
    this.#writes.push(frame)
    return this.#connection.socket.readyState === this.#connection.socket.OPEN
  }

  notice(code: string, message: string): void {
    this.#sendControl({ type: 'error', code, message })
  }

  /** The one frame allowed before authentication: an `authenticate`, small and shallow. */
  #receiveFirst(data: Buffer, isBinary: boolean): void {
    const connection = this.#connection
    const { options } = connection
    if (this.#state === 'authenticating') {
      return connection.refuse(
        SERVER_CLOSE.POLICY_VIOLATION,
        'One authenticate frame, then wait for connected',
      )
    }
    this.#state = 'authenticating'
    if (data.length > options.maxHandshakePayload) {
      return connection.refuse(SERVER_CLOSE.TOO_BIG, 'Authenticate frame too big')
    }
    const text = isBinary ? null : data.toString('utf8')
    if (text !== null) connection.showFrame('in', text)
    // A small frame, but `[[[[…` parses slowly even at that size: the depth is checked first.
    const frame: IncomingFrame | null = text === null || jsonDepthExceeds(text, 2) ? null : parseFrame(text)
    if (frame?.type !== 'authenticate') {
      return connection.refuse(SERVER_CLOSE.POLICY_VIOLATION, 'Expected an authenticate frame')
    }
    connection.enqueue(0, () => this.#authenticate(frame.token, frame.clientPublicKey))
  }

  async #handle(frame: IncomingFrame): Promise<void> {
    const connection = this.#connection
    switch (frame.type) {
      case 'malformed':
        return connection.drop('malformed')
      case 'encrypted':
        return this.#handleEncrypted(frame.iv, frame.ct)
      case 'join':
      case 'leave':
        return this.#changeRooms(frame.type, frame.rooms)
      case 'heartbeat':
        return
      case 'plaintext':
        return connection.drop('plaintext')
      default:
        return connection.drop('malformed') // a second authenticate, or a server's frame
    }
  }

  async #authenticate(token: string, clientPublicKey: Uint8Array<ArrayBuffer>): Promise<void> {
    const connection = this.#connection
    const { options } = connection
    // The key is checked before the token, so that how the connection ends says nothing about
    // whether a token is valid.
    if (!isP256PublicKey(clientPublicKey)) {
      options.logger.warn('invalid client public key', {
        connection: connection.id,
        reason: 'ERR_INVALID_PUBLIC_KEY',
      })
      connection.close(SERVER_CLOSE.PROTOCOL_ERROR, 'Invalid client public key')
      return
    }
    const verified = await verifyClientToken(options.verifyToken, token)
    if ('refused' in verified) {
      connection.host.events.tokensRefused[verified.refused]++
      options.logger.warn('authentication refused', { connection: connection.id, reason: verified.reason })
      if (verified.refused === 'unavailable') {
        // The token could not be checked (the identity provider is unreachable): not a bad token.
        this.#sendControl({
          type: 'error',
          code: 'AUTH_UNAVAILABLE',
          message: 'Tokens cannot be checked now: try again later',
        })
        connection.close(SERVER_CLOSE.TRY_AGAIN_LATER, 'Try again later')
        return
      }
      this.#sendControl({ type: 'error', code: 'AUTH_FAILED', message: 'Authentication failed' })
      connection.close(SERVER_CLOSE.POLICY_VIOLATION, 'Authentication failed')
      return
    }
    const keys = options.createKeys
      ? fromEphemeralKeys(await options.createKeys())
      : connection.host.keyPool.take()
    const salt = options.createSalt()
    const proof = options.identity && {
      identityKey: options.identity.publicKey,
      signature: options.identity.sign(handshakeTranscript(clientPublicKey, keys.publicKey, salt)),
    }
    if (connection.socket.readyState !== connection.socket.OPEN) return
    const { userId, expiresAt } = verified.accepted
    if (!connection.admit(userId)) {
      this.#sendControl({ type: 'error', code: 'TOO_MANY_CONNECTIONS', message: 'Too many connections' })
      connection.close(SERVER_CLOSE.TRY_AGAIN_LATER, 'Too many connections for this user')
      return
    }
    connection.expiresAt = expiresAt
    this.#sendControl({
      type: 'connected',
      id: connection.id,
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
    connection.markAuthenticated()
  }

  #establishKey(keys: ServerKeyPair, clientPublicKey: Uint8Array, salt: Uint8Array): boolean {
    const connection = this.#connection
    try {
      this.#key = deriveSessionKey(keys, clientPublicKey, salt, connection.options.ecdhInfo)
      return true
    } catch (error) {
      connection.options.logger.error('key derivation failed', {
        connection: connection.id,
        error: String(error),
      })
      connection.close(1011, 'Key derivation failed')
      return false
    }
  }

  #handleEncrypted(iv: Uint8Array<ArrayBuffer>, ct: Uint8Array<ArrayBuffer>): Promise<void> | void {
    const connection = this.#connection
    const key = this.#key
    if (!key) return connection.drop('unauthenticated')
    if (this.#sentIvs.sent(iv) || this.#seenIvs.seen(iv)) return connection.drop('replayed')
    const plaintext = openBytes(key, iv, ct)
    if (!plaintext) return this.#undecryptable()
    this.#confirmed = true
    const message = readOpenedFrame(plaintext, connection.options.maxDepth)
    if (!message) return connection.drop('undecryptable')
    this.#rememberIv(iv)
    // v1 has no requests: what the handler returns goes nowhere.
    return connection.host.onEvent(connection, message.event, message.data).then(() => undefined)
  }

  /** Dropped; the first failure before any frame decrypted also tells the client why, once. */
  #undecryptable(): void {
    this.#connection.drop('undecryptable')
    if (this.#confirmed || this.#undecryptableNoticed) return
    this.#undecryptableNoticed = true
    this.notice('UNDECRYPTABLE', UNDECRYPTABLE_NOTICE)
  }

  /** Frames are handled one at a time, so a leave after a join waits for the join's authorization. */
  async #changeRooms(type: 'join' | 'leave', rooms: readonly string[]): Promise<void> {
    const connection = this.#connection
    const changed: string[] = []
    for (const room of rooms) {
      if (type === 'leave') {
        if (connection.rooms.delete(room)) changed.push(room)
        continue
      }
      if (connection.rooms.has(room)) continue
      const refusal = await refuseJoinOf(connection, room)
      if (connection.socket.readyState !== connection.socket.OPEN) return
      if (refusal) {
        this.#denyJoin(room, refusal)
        continue
      }
      connection.rooms.add(room)
      changed.push(room)
    }
    if (changed.length > 0) connection.host.onRoomChange(connection, type, changed)
  }

  /** v1 has no `denied`: an `error` frame `JOIN_DENIED` that names the room (and carries it in `room`). */
  #denyJoin(room: string, refusal: JoinRefusal): void {
    this.#connection.options.logger.info('join refused', {
      connection: this.#connection.id,
      code: refusal.code,
    })
    this.#sendControl({
      type: 'error',
      code: 'JOIN_DENIED',
      message: `Room "${room}" refused (${refusal.code}): ${refusal.message}`,
      room,
    })
  }

  #rememberIv(iv: Uint8Array): void {
    this.#seenIvs.remember(iv)
    if (this.#seenIvs.full) {
      // Forgetting IVs would reopen replays; a new connection brings a new key instead.
      this.#connection.close(SERVER_CLOSE.REKEY, 'Re-key')
    }
  }

  #sendControl(frame: Frame): void {
    this.#writes.push(encodeFrame(frame), true)
  }

  /** What v1 encrypts of a message; null for binary data (v1 cannot carry it). */
  #plaintextOf(message: OutgoingMessage): Uint8Array | null {
    const plaintext = message.v1Plaintext()
    if (!plaintext) {
      this.#connection.options.logger.debug('binary data not sent to a v1 client', {
        connection: this.#connection.id,
        event: message.event,
      })
    }
    return plaintext
  }
}
