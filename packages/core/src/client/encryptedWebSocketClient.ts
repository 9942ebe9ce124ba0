import { EncryptedSocketError, serverAuthError, type ErrorCode } from '../errors'
import { resolveOptions, type ResolvedOptions } from '../options'
import {
  encodeAuthenticate,
  encodeRooms,
  HEARTBEAT_FRAME,
  parseServerFrame,
  type ApplicationMessage,
  type ConnectedFrame,
  type ServerFrame,
} from '../protocol/codec'
import { isReservedEvent } from '../protocol/controlEvents'
import { createEphemeralKeys, deriveSessionKey, type EphemeralKeys } from '../protocol/handshake'
import { openMessage, sealPlaintext, serializeMessage } from '../protocol/message'
import type {
  ClientOptions,
  ClientSnapshot,
  CloseInfo,
  ConnectionState,
  EventMap,
  EventName,
  LifecycleEvents,
  Logger,
  SendOptions,
  UnknownEvents,
  WebSocketLike,
} from '../types'
import { Emitter } from './emitter'
import { Outbox } from './outbox'
import {
  CLIENT_CLOSE,
  defaultShouldReconnect,
  MESSAGE_TOO_BIG,
  nextDelay,
  REJECTED_CLOSE_CODES,
} from './reconnect'
import { ReplayGuard } from './replayGuard'
import { RoomRegistry } from './roomRegistry'
import { INITIAL_SNAPSHOT, nextSnapshot } from './snapshot'
import { transition, type ClientEvent } from './transition'

const OPEN = 1
/** Encrypted frames that may fail in a row, before one succeeded, until the key is given up. */
const KEY_CONFIRMATION_LIMIT = 3
/** Outbox items encrypted in parallel before being sent in order. */
const SEAL_BATCH = 64
const noop = (): void => {}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown }
const settle = <T>(promise: Promise<T>): Promise<Settled<T>> =>
  promise.then(
    (value) => ({ ok: true, value }),
    (error: unknown) => ({ ok: false, error }),
  )

/** Everything that belongs to one connection attempt. A new attempt gets a new object. */
interface Attempt {
  socket: WebSocketLike
  keys: Promise<EphemeralKeys>
  token: Promise<string>
  /** The token once known, only to scrub it from server-provided text. */
  tokenText?: string
  key?: CryptoKey
  /** True once one encrypted frame decrypted under this key. */
  keyConfirmed: boolean
  decryptFailures: number
  /** Frames are handled one at a time, in arrival order: each waits for this chain. */
  frames: Promise<void>
  handshakeTimer?: ReturnType<typeof setTimeout>
  heartbeatTimer?: ReturnType<typeof setInterval>
}

interface PendingConnect {
  promise: Promise<void>
  resolve: () => void
  reject: (error: EncryptedSocketError) => void
}

/**
 * An end-to-end-encrypted WebSocket client speaking protocol v1: a fresh ECDH P-256 key pair per
 * connection, HKDF-SHA-256, AES-256-GCM; with reconnection, rooms, an outbox and heartbeats.
 *
 * ```ts
 * const client = new EncryptedWebSocketClient<{ 'order.created': Order }>({ url, ecdhInfo, token })
 * client.on('order.created', (order) => render(order))
 * await client.connect()
 * await client.send('order.create', { sku: 'A1' })
 * client.destroy()
 * ```
 */
export class EncryptedWebSocketClient<Events extends EventMap = UnknownEvents> {
  readonly #options: ResolvedOptions
  #token: string | undefined
  #snapshot: ClientSnapshot = INITIAL_SNAPSHOT
  readonly #snapshotListeners = new Set<() => void>()
  readonly #events: Emitter<Events>
  readonly #lifecycle: Emitter<LifecycleEvents>
  readonly #rooms = new RoomRegistry()
  readonly #outbox = new Outbox()
  readonly #replay: ReplayGuard
  #attempt: Attempt | null = null
  #pendingConnect: PendingConnect | null = null
  #retryTimer: ReturnType<typeof setTimeout> | null = null
  #stopWatchingOnline: (() => void) | null = null
  #pumping = false
  #destroyed = false

  constructor(options: ClientOptions) {
    this.#options = resolveOptions(options)
    this.#token = this.#options.token
    this.#replay = new ReplayGuard(this.#options.maxTrackedIvs)
    const onListenerError = (event: string, error: unknown) =>
      this.#options.logger.error(`[encrypted-socket] a "${event}" handler threw`, error)
    this.#events = new Emitter<Events>(onListenerError)
    this.#lifecycle = new Emitter<LifecycleEvents>(onListenerError)
    if (this.#options.autoJoinRooms.length > 0) {
      this.#rooms.joinExplicit(this.#options.autoJoinRooms)
      this.#publish({ rooms: this.#rooms.list() })
    }
  }

  // ---- Reading state -------------------------------------------------------------------------

  /** The current snapshot: frozen, and the same object until something in it changes. */
  readonly getSnapshot = (): ClientSnapshot => this.#snapshot

  /** Calls `listener` after every snapshot change (never per message). Returns the unsubscribe. */
  readonly subscribe = (listener: () => void): (() => void) => {
    this.#snapshotListeners.add(listener)
    return () => {
      this.#snapshotListeners.delete(listener)
    }
  }

  getState(): ConnectionState {
    return this.#snapshot.state
  }

  getClientId(): string | null {
    return this.#snapshot.clientId
  }

  getUserId(): string | null {
    return this.#snapshot.userId
  }

  /** True while a session key exists. */
  isEncrypted(): boolean {
    return this.#snapshot.encrypted
  }

  /** True while authenticated. */
  isConnected(): boolean {
    return this.#snapshot.state === 'authenticated'
  }

  // ---- Application events and lifecycle ---------------------------------------------------------

  /** Listens to a decrypted application event. Returns the unsubscribe. */
  on<K extends EventName<Events>>(event: K, handler: (data: Events[K]) => void): () => void {
    return this.#events.on(event, handler)
  }

  /** Removes one handler, or every handler of the event. */
  off<K extends EventName<Events>>(event: K, handler?: (data: Events[K]) => void): void {
    this.#events.off(event, handler)
  }

  /** Removes every application event handler. */
  offAll(): void {
    this.#events.offAll()
  }

  /** Listens to the client's own notifications, which no network frame can fake. */
  onLifecycle<K extends keyof LifecycleEvents>(
    event: K,
    handler: (payload: LifecycleEvents[K]) => void,
  ): () => void {
    return this.#lifecycle.on(event, handler)
  }

  /** Calls `listener(state, previous)` on every state change. Returns the unsubscribe. */
  onStateChange(listener: (state: ConnectionState, previous: ConnectionState) => void): () => void {
    return this.#lifecycle.on('state', ({ state, previous }) => listener(state, previous))
  }

  // ---- Connecting ------------------------------------------------------------------------------

  /**
   * Connects (or reconnects now, when waiting between attempts). Resolves once authenticated;
   * rejects with `ERR_REJECTED`, `ERR_RETRIES_EXHAUSTED`, `ERR_DESTROYED`, … when given up.
   */
  connect(): Promise<void> {
    if (this.#destroyed) return Promise.reject(destroyedError('connect()'))
    const state = this.#snapshot.state
    if (state === 'authenticated') return Promise.resolve()
    const pending = this.#ensurePendingConnect()
    if (state === 'disconnected') {
      this.#watchOnline()
      this.#dispatch({ type: 'CONNECT' }, { retryCount: 0, nextRetryAt: null })
      this.#open()
    } else if (state === 'reconnecting') {
      this.#retryNow()
    }
    return pending
  }

  /** Closes with 1000 "Client disconnect" and stops reconnecting until `connect()`. */
  disconnect(): void {
    this.#stop(
      new EncryptedSocketError(
        'ERR_NOT_CONNECTED',
        'disconnect() was called before the connection was authenticated.',
      ),
      new EncryptedSocketError(
        'ERR_NOT_CONNECTED',
        'disconnect() was called before it went out; connect() and send it again.',
      ),
    )
  }

  /** Disconnects, drops every handler and room, and refuses all further use. */
  destroy(): void {
    if (this.#destroyed) return
    this.#destroyed = true
    this.#stop(
      destroyedError('connect()'),
      new EncryptedSocketError('ERR_DESTROYED', 'destroy() was called before this send() went out.'),
    )
    this.#rooms.clear()
    this.#publish({ rooms: [] })
    this.#events.offAll()
    this.#lifecycle.offAll()
    this.#snapshotListeners.clear()
  }

  /** The token for the next connection attempt (the current connection keeps its own). */
  updateToken(token: string): void {
    if (typeof token !== 'string') {
      throw new EncryptedSocketError(
        'ERR_INVALID_ARGUMENT',
        `updateToken() needs a string; got a ${typeof token}.`,
      )
    }
    this.#token = token
  }

  // ---- Sending ---------------------------------------------------------------------------------

  /**
   * Encrypts and sends an application event. Resolves when the encrypted frame was handed to the
   * socket; while connecting or reconnecting it waits in the outbox and goes out, in order, under
   * the new key. Rejects with `ERR_NOT_CONNECTED` (disconnected), `ERR_OUTBOX_FULL`,
   * `ERR_RESERVED_EVENT`, `ERR_INVALID_PAYLOAD` or `ERR_DESTROYED`.
   */
  send<K extends EventName<Events>>(event: K, data?: Events[K], options: SendOptions = {}): Promise<void> {
    try {
      const plaintext = this.#prepareSend(event, data, options)
      return new Promise<void>((resolve, reject) => {
        this.#outbox.push({ event, plaintext, resolve, reject })
        void this.#pump()
      })
    } catch (error) {
      return Promise.reject(error)
    }
  }

  #prepareSend(event: string, data: unknown, options: SendOptions): Uint8Array<ArrayBuffer> {
    if (this.#destroyed) throw destroyedError(`send("${event}")`)
    if (typeof event !== 'string' || event.length === 0) {
      throw new EncryptedSocketError('ERR_INVALID_ARGUMENT', 'send() needs a non-empty event name.')
    }
    if (isReservedEvent(event)) {
      throw new EncryptedSocketError(
        'ERR_RESERVED_EVENT',
        `"${event}" is a protocol event name; pick another.`,
      )
    }
    const state = this.#snapshot.state
    const refuse = (code: ErrorCode, why: string) =>
      new EncryptedSocketError(code, `send("${event}") refused: ${why}.`)
    if (state === 'disconnected') throw refuse('ERR_NOT_CONNECTED', 'call connect() first')
    if (state === 'authenticated') {
      if (!this.#attempt?.key)
        throw refuse(
          'ERR_PLAINTEXT_REJECTED',
          'the server set up no encryption; events are never sent in plaintext',
        )
    } else if (options.queue === false) {
      throw refuse('ERR_NOT_CONNECTED', `"${state}" and { queue: false }`)
    } else if (this.#outbox.size >= this.#options.outbox.maxSize) {
      throw refuse('ERR_OUTBOX_FULL', `${this.#outbox.size} messages already wait (outbox.maxSize)`)
    }
    return serializeMessage({ event, data })
  }

  /** Encrypts waiting items in batches and sends them in order, while authenticated. */
  async #pump(): Promise<void> {
    if (this.#pumping) return
    this.#pumping = true
    try {
      for (;;) {
        const attempt = this.#attempt
        const key = attempt?.key
        if (!attempt || !key || this.#snapshot.state !== 'authenticated' || this.#outbox.size === 0) return
        const batch = this.#outbox.peek(SEAL_BATCH)
        const sealed = await Promise.all(batch.map((item) => sealPlaintext(key, item.plaintext)))
        // If the connection changed meanwhile, the items stay and are sealed again under the new key.
        if (attempt !== this.#attempt) continue
        // Closing: the close event follows, and the items go out after the next handshake.
        if (attempt.socket.readyState !== OPEN) return
        this.#outbox.shift(batch.length)
        for (const [i, item] of batch.entries()) {
          this.#replay.remember(sealed[i]!.iv)
          attempt.socket.send(sealed[i]!.frame)
          item.resolve()
        }
        if (this.#replay.full) this.#rekey(attempt)
      }
    } catch (error) {
      this.#options.logger.error('[encrypted-socket] encryption failed', error)
    } finally {
      this.#pumping = false
    }
  }

  // ---- Rooms -----------------------------------------------------------------------------------

  /** Joins rooms until `leaveRooms()`; they are re-joined after every reconnect. */
  joinRooms(rooms: readonly string[]): void {
    checkRooms('joinRooms', rooms)
    if (this.#destroyed) return
    this.#sendRoomChange('join', this.#rooms.joinExplicit(rooms))
  }

  /** Leaves rooms joined with `joinRooms()` (a room also held by `joinRoom()` stays until released). */
  leaveRooms(rooms: readonly string[]): void {
    checkRooms('leaveRooms', rooms)
    if (this.#destroyed) return
    this.#sendRoomChange('leave', this.#rooms.leaveExplicit(rooms))
  }

  /**
   * Holds a room: joined while at least one holder has not released it, so two components in the
   * same room join once. Returns the release function (calling it twice is harmless).
   */
  joinRoom(room: string): () => void {
    checkRooms('joinRoom', [room])
    if (this.#destroyed) return noop
    if (this.#rooms.acquire(room)) this.#sendRoomChange('join', [room])
    else this.#publish({ rooms: this.#rooms.list() })
    let released = false
    return () => {
      if (released || this.#destroyed) return
      released = true
      if (this.#rooms.release(room)) this.#sendRoomChange('leave', [room])
    }
  }

  #sendRoomChange(type: 'join' | 'leave', rooms: string[]): void {
    this.#publish({ rooms: this.#rooms.list() })
    const attempt = this.#attempt
    if (rooms.length === 0 || !attempt || this.#snapshot.state !== 'authenticated') return
    this.#sendControl(attempt, encodeRooms(type, rooms))
  }

  // ---- One connection attempt ------------------------------------------------------------------

  #open(): void {
    const WebSocketImpl =
      this.#options.WebSocket ?? (globalThis as { WebSocket?: ClientOptions['WebSocket'] }).WebSocket
    if (!globalThis.crypto?.subtle) {
      return this.#giveUp(
        new EncryptedSocketError(
          'ERR_NO_CRYPTO',
          'No crypto.subtle: serve the page over https:// or localhost.',
        ),
      )
    }
    if (!WebSocketImpl) {
      return this.#giveUp(
        new EncryptedSocketError(
          'ERR_NO_WEBSOCKET',
          'No WebSocket: pass one as the `WebSocket` option (ws in Node).',
        ),
      )
    }
    let socket: WebSocketLike
    try {
      socket = new WebSocketImpl(this.#options.url, this.#options.protocols)
    } catch (cause) {
      return this.#giveUp(
        new EncryptedSocketError('ERR_CONNECTION_CLOSED', 'new WebSocket() failed.', { cause }),
      )
    }
    // The key pair and the token are made while the socket opens: the socket starts first, since
    // its network round trips are the longest wait.
    const keys = createEphemeralKeys()
    const token = this.#fetchToken()
    keys.catch(noop)
    token.catch(noop)
    const attempt: Attempt = {
      socket,
      keys,
      token,
      keyConfirmed: false,
      decryptFailures: 0,
      frames: Promise.resolve(),
    }
    this.#attempt = attempt
    // Every callback first checks that its attempt is still the current one.
    socket.onopen = () => {
      if (attempt === this.#attempt) void this.#onOpen(attempt)
    }
    socket.onmessage = (event) => {
      if (attempt === this.#attempt) this.#onMessage(attempt, event.data)
    }
    socket.onclose = (event) => {
      if (attempt === this.#attempt) this.#onClose(attempt, event)
    }
    socket.onerror = () => {
      // A close event follows; `ws` needs a listener here to not throw.
    }
    attempt.handshakeTimer = setTimeout(() => {
      if (attempt !== this.#attempt) return
      this.#failAttempt(
        attempt,
        CLIENT_CLOSE.HANDSHAKE_TIMEOUT,
        new EncryptedSocketError(
          'ERR_HANDSHAKE_TIMEOUT',
          `No handshake within ${this.#options.handshakeTimeout} ms (handshakeTimeout).`,
        ),
      )
    }, this.#options.handshakeTimeout)
  }

  async #fetchToken(): Promise<string> {
    const token = this.#options.getToken ? await this.#options.getToken() : this.#token
    if (typeof token !== 'string' || token.length === 0) {
      throw new EncryptedSocketError(
        'ERR_TOKEN_UNAVAILABLE',
        'No token: pass `token` or `getToken`, or call updateToken().',
      )
    }
    return token
  }

  async #onOpen(attempt: Attempt): Promise<void> {
    this.#dispatch({ type: 'SOCKET_OPEN' })
    let keys: EphemeralKeys
    let token: string
    try {
      ;[keys, token] = await Promise.all([attempt.keys, attempt.token])
    } catch (cause) {
      if (attempt !== this.#attempt) return
      if (cause instanceof EncryptedSocketError) {
        // No token at all: retrying cannot help.
        closeQuietly(attempt.socket, CLIENT_CLOSE.NORMAL, 'No token')
        this.#giveUp(cause)
        return
      }
      const error = new EncryptedSocketError('ERR_TOKEN_UNAVAILABLE', 'getToken() failed; retrying.', {
        cause,
      })
      return this.#failAttempt(attempt, CLIENT_CLOSE.TOKEN_UNAVAILABLE, error)
    }
    if (attempt !== this.#attempt) return
    attempt.tokenText = token
    this.#sendControl(attempt, encodeAuthenticate(token, keys.publicKey))
  }

  #onMessage(attempt: Attempt, data: unknown): void {
    const frame = parseServerFrame(data)
    // Decryption starts on arrival, so a burst decrypts in parallel; delivery stays in order.
    const opening =
      frame.type === 'encrypted' && attempt.key
        ? settle(openMessage(attempt.key, frame.iv, frame.ct))
        : undefined
    attempt.frames = attempt.frames
      .then(() => (attempt === this.#attempt ? this.#handleFrame(attempt, frame, opening) : undefined))
      .catch((error: unknown) =>
        reportQuietly(this.#options.logger, '[encrypted-socket] a frame handler failed', error),
      )
  }

  async #handleFrame(
    attempt: Attempt,
    frame: ServerFrame,
    opening: Promise<Settled<ApplicationMessage>> | undefined,
  ): Promise<void> {
    switch (frame.type) {
      case 'encrypted':
        return this.#handleEncrypted(attempt, frame.iv, frame.ct, opening)
      case 'connected':
        return this.#handleConnected(attempt, frame)
      case 'plaintext':
        if (attempt.key || this.#options.requireEncryption) {
          this.#report(
            new EncryptedSocketError(
              'ERR_PLAINTEXT_REJECTED',
              `Dropped plaintext "${this.#scrub(frame.event)}": events must arrive encrypted.`,
            ),
          )
        } else {
          this.#events.emit(frame.event as EventName<Events>, frame.data as Events[EventName<Events>])
        }
        return
      case 'malformed':
        if (frame.event === 'connected' && this.#snapshot.state === 'authenticating') {
          return this.#failAttempt(
            attempt,
            CLIENT_CLOSE.PROTOCOL_VIOLATION,
            new EncryptedSocketError('ERR_PROTOCOL', `Bad connected frame: ${frame.reason}.`),
          )
        }
        return this.#report(
          new EncryptedSocketError('ERR_MALFORMED_FRAME', `Dropped a frame: ${frame.reason}.`),
        )
      case 'error': {
        // Once the key exists the server's word is encrypted; a plaintext error may be anyone's.
        if (attempt.key) {
          return this.#report(
            new EncryptedSocketError(
              'ERR_UNAUTHENTICATED_FRAME',
              'Dropped a plaintext error frame: once encrypted, only encrypted frames are the server’s.',
            ),
          )
        }
        const code = frame.code === undefined ? '' : ` (${this.#scrub(String(frame.code))})`
        return this.#report(
          new EncryptedSocketError('ERR_SERVER', `Server error${code}: ${this.#scrub(frame.message)}`),
        )
      }
      case 'heartbeat':
        return
    }
  }

  async #handleConnected(attempt: Attempt, frame: ConnectedFrame): Promise<void> {
    // Frames are handled one at a time, so once a `connected` was handled the state has moved on
    // (authenticated, or the attempt failed): a second one always lands here.
    if (this.#snapshot.state !== 'authenticating') {
      return this.#report(new EncryptedSocketError('ERR_PROTOCOL', 'Dropped a second connected frame.'))
    }
    const { serverPublicKey, salt } = frame
    if (!serverPublicKey || !salt) {
      if (this.#options.serverIdentity) {
        // An unsigned, keyless handshake cannot prove the pinned identity, whatever requireEncryption says.
        return this.#failAttempt(
          attempt,
          CLIENT_CLOSE.SERVER_AUTH,
          serverAuthError('the connected frame is not signed'),
        )
      }
      if (this.#options.requireEncryption || serverPublicKey || salt) {
        return this.#failAttempt(
          attempt,
          CLIENT_CLOSE.PROTOCOL_VIOLATION,
          new EncryptedSocketError('ERR_PROTOCOL', 'The server sent no keys: refused (requireEncryption).'),
        )
      }
      this.#authenticated(attempt, frame)
      return
    }
    let key: CryptoKey
    try {
      const keys = await attempt.keys
      await this.#options.serverIdentity?.({
        identityKey: frame.identityKey,
        signature: frame.signature,
        clientPublicKey: keys.publicKey,
        serverPublicKey,
        salt,
      })
      key = await deriveSessionKey(keys.privateKey, serverPublicKey, salt, this.#options.ecdhInfo)
    } catch (cause) {
      if (attempt !== this.#attempt) return
      const error =
        cause instanceof EncryptedSocketError
          ? cause
          : new EncryptedSocketError('ERR_PROTOCOL', 'Key derivation failed.', { cause })
      const code =
        error.code === 'ERR_SERVER_AUTH' ? CLIENT_CLOSE.SERVER_AUTH : CLIENT_CLOSE.PROTOCOL_VIOLATION
      this.#failAttempt(attempt, code, error)
      return
    }
    if (attempt !== this.#attempt) return
    attempt.key = key
    this.#authenticated(attempt, frame)
  }

  #authenticated(attempt: Attempt, frame: ConnectedFrame): void {
    clearTimeout(attempt.handshakeTimer)
    this.#replay.clear()
    const encrypted = attempt.key !== undefined
    this.#dispatch(
      { type: 'AUTHENTICATED' },
      {
        clientId: frame.id,
        userId: frame.userId,
        encrypted,
        retryCount: 0,
        nextRetryAt: null,
        lastError: null,
      },
    )
    // A state listener may have called disconnect() or destroy() meanwhile.
    if (attempt !== this.#attempt) return
    if (this.#options.heartbeatInterval > 0) {
      attempt.heartbeatTimer = setInterval(
        () => this.#sendControl(attempt, HEARTBEAT_FRAME),
        this.#options.heartbeatInterval,
      )
    }
    const rooms = this.#rooms.list()
    if (rooms.length > 0) this.#sendControl(attempt, encodeRooms('join', rooms))
    this.#pendingConnect?.resolve()
    this.#pendingConnect = null
    if (!encrypted) {
      this.#outbox.rejectAll(
        new EncryptedSocketError(
          'ERR_PLAINTEXT_REJECTED',
          'The server set up no encryption; events are never sent in plaintext.',
        ),
      )
    }
    this.#lifecycle.emit('authenticated', { clientId: frame.id, userId: frame.userId, encrypted })
    void this.#pump()
  }

  async #handleEncrypted(
    attempt: Attempt,
    iv: Uint8Array<ArrayBuffer>,
    ct: Uint8Array<ArrayBuffer>,
    opening: Promise<Settled<ApplicationMessage>> | undefined,
  ): Promise<void> {
    const key = attempt.key
    if (!key) {
      return this.#report(
        new EncryptedSocketError('ERR_PROTOCOL', 'Dropped an encrypted frame before the key.'),
      )
    }
    if (this.#replay.seen(iv)) {
      return this.#report(new EncryptedSocketError('ERR_REPLAY', 'Dropped a replayed or reflected frame.'))
    }
    const result = await (opening ?? settle(openMessage(key, iv, ct)))
    if (attempt !== this.#attempt) return
    if (!result.ok) {
      const error = toSocketError(result.error, 'ERR_DECRYPT')
      this.#report(error)
      if (
        error.code === 'ERR_DECRYPT' &&
        !attempt.keyConfirmed &&
        ++attempt.decryptFailures >= KEY_CONFIRMATION_LIMIT
      ) {
        this.#failAttempt(
          attempt,
          CLIENT_CLOSE.KEY_NOT_CONFIRMED,
          new EncryptedSocketError('ERR_DECRYPT', 'The session key is wrong; reconnecting with fresh keys.'),
        )
      }
      return
    }
    attempt.keyConfirmed = true
    this.#replay.remember(iv)
    const { event, data } = result.value
    this.#events.emit(event as EventName<Events>, data as Events[EventName<Events>])
    if (this.#replay.full) this.#rekey(attempt)
  }

  /** The replay window is full: a new connection brings a new key instead of forgetting IVs. */
  #rekey(attempt: Attempt): void {
    this.#options.logger.info('[encrypted-socket] replay window full: re-keying')
    this.#endAttempt(attempt, CLIENT_CLOSE.REKEY, 'Re-key', null, true)
  }

  #sendControl(attempt: Attempt, frame: string): void {
    if (attempt === this.#attempt && attempt.socket.readyState === OPEN) attempt.socket.send(frame)
  }

  // ---- Ending an attempt -----------------------------------------------------------------------

  #onClose(attempt: Attempt, event: { code: number; reason: string; wasClean: boolean }): void {
    const { code } = event
    const reason = this.#scrub(event.reason ?? '')
    const rejected = REJECTED_CLOSE_CODES.has(code)
    const hint = rejected
      ? ': the credentials were rejected; refresh the token'
      : code === MESSAGE_TOO_BIG
        ? ': a message was too big'
        : ''
    const error = new EncryptedSocketError(
      rejected ? 'ERR_REJECTED' : 'ERR_CONNECTION_CLOSED',
      `Connection closed (${code}${reason ? ` ${reason}` : ''})${hint}.`,
      { closeCode: code },
    )
    this.#connectionEnded(attempt, {
      code,
      reason,
      wasClean: event.wasClean,
      error,
      retryCount: this.#snapshot.retryCount,
    })
  }

  /** The client ends the attempt itself: close with its own code, then retry or give up. */
  #failAttempt(attempt: Attempt, code: number, error: EncryptedSocketError): void {
    this.#endAttempt(attempt, code, error.code, error, false)
  }

  #endAttempt(
    attempt: Attempt,
    code: number,
    reason: string,
    error: EncryptedSocketError | null,
    immediate: boolean,
  ): void {
    closeQuietly(attempt.socket, code, reason)
    this.#connectionEnded(
      attempt,
      { code, reason, wasClean: false, error, retryCount: this.#snapshot.retryCount },
      immediate,
    )
  }

  #connectionEnded(attempt: Attempt, close: CloseInfo, immediate = false): void {
    this.#teardown(attempt)
    if (close.error) this.#report(close.error)
    // An `error` listener may have called disconnect() or destroy(): then nothing more to do.
    if (this.#destroyed || this.#snapshot.state === 'disconnected') return
    const { reconnect } = this.#options
    const retry = reconnect.enabled && (reconnect.shouldReconnect ?? defaultShouldReconnect)(close)
    const error =
      close.error ?? new EncryptedSocketError('ERR_CONNECTION_CLOSED', `Connection closed (${close.code}).`)
    if (!retry) {
      this.#giveUp(error)
    } else if (immediate) {
      this.#dispatch({ type: 'CONNECTION_LOST' }, { encrypted: false, clientId: null, userId: null })
      if (!this.#waitingToRetry()) return
      this.#dispatch({ type: 'RETRY' })
      this.#open()
    } else if (this.#snapshot.retryCount >= reconnect.maxRetries) {
      const retries = this.#snapshot.retryCount
      this.#giveUp(
        new EncryptedSocketError(
          'ERR_RETRIES_EXHAUSTED',
          `Gave up after ${retries} retries (reconnect.maxRetries): ${error.message}`,
          {
            cause: error,
            closeCode: close.code,
          },
        ),
      )
      this.#lifecycle.emit('reconnect_failed', { retries })
    } else {
      this.#scheduleRetry()
    }
  }

  #scheduleRetry(): void {
    const attempt = this.#snapshot.retryCount + 1
    const delay = nextDelay(attempt, this.#options.reconnect)
    this.#dispatch(
      { type: 'CONNECTION_LOST' },
      { encrypted: false, clientId: null, userId: null, nextRetryAt: Date.now() + delay },
    )
    this.#lifecycle.emit('reconnecting', { attempt, delay })
    if (!this.#waitingToRetry()) return // a listener disconnected or destroyed the client
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null
      this.#retryNow()
    }, delay)
  }

  /** Starts the next attempt now, unless the browser is offline (then `online` starts it). */
  #retryNow(): void {
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer)
    this.#retryTimer = null
    if (!this.#waitingToRetry()) return
    if (isOffline()) {
      this.#publish({ nextRetryAt: null })
      return
    }
    this.#dispatch({ type: 'RETRY' }, { retryCount: this.#snapshot.retryCount + 1, nextRetryAt: null })
    this.#open()
  }

  /** True between attempts; false once disconnect() or destroy() ended the retries. */
  #waitingToRetry(): boolean {
    return !this.#destroyed && this.#snapshot.state === 'reconnecting'
  }

  #giveUp(error: EncryptedSocketError): void {
    if (this.#attempt) this.#teardown(this.#attempt)
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer)
    this.#retryTimer = null
    this.#unwatchOnline()
    this.#dispatch(
      { type: 'GIVE_UP' },
      { encrypted: false, clientId: null, userId: null, nextRetryAt: null, lastError: error },
    )
    this.#pendingConnect?.reject(error)
    this.#pendingConnect = null
    this.#outbox.rejectAll(new EncryptedSocketError('ERR_NOT_CONNECTED', error.message, { cause: error }))
  }

  /** Ends everything for `disconnect()` and `destroy()`. */
  #stop(connectError: EncryptedSocketError, sendError: EncryptedSocketError): void {
    const attempt = this.#attempt
    if (attempt) {
      this.#teardown(attempt)
      closeQuietly(attempt.socket, CLIENT_CLOSE.NORMAL, 'Client disconnect')
    }
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer)
    this.#retryTimer = null
    this.#unwatchOnline()
    this.#dispatch(
      { type: 'DISCONNECT' },
      { encrypted: false, clientId: null, userId: null, nextRetryAt: null, retryCount: 0 },
    )
    this.#pendingConnect?.reject(connectError)
    this.#pendingConnect = null
    this.#outbox.rejectAll(sendError)
  }

  /** Silences an attempt: its socket's callbacks, timers and key are gone. */
  #teardown(attempt: Attempt): void {
    if (this.#attempt === attempt) this.#attempt = null
    clearTimeout(attempt.handshakeTimer)
    clearInterval(attempt.heartbeatTimer)
    attempt.key = undefined
    const { socket } = attempt
    socket.onopen = noop
    socket.onmessage = noop
    socket.onclose = noop
    socket.onerror = noop
    this.#replay.clear()
  }

  // ---- Browser online/offline -----------------------------------------------------------------

  #watchOnline(): void {
    const target = globalThis as {
      addEventListener?: EventTarget['addEventListener']
      removeEventListener?: EventTarget['removeEventListener']
    }
    if (this.#stopWatchingOnline || typeof target.addEventListener !== 'function') return
    // Back online, or the tab is visible again (mobile resume, a throttled background tab):
    // skip the rest of the backoff.
    const onBack = () => {
      if (this.#snapshot.state !== 'reconnecting') return
      if (typeof document !== 'undefined' && document.visibilityState === 'hidden') return
      this.#retryNow()
    }
    target.addEventListener('online', onBack)
    target.addEventListener('visibilitychange', onBack)
    this.#stopWatchingOnline = () => {
      target.removeEventListener?.('online', onBack)
      target.removeEventListener?.('visibilitychange', onBack)
    }
  }

  #unwatchOnline(): void {
    this.#stopWatchingOnline?.()
    this.#stopWatchingOnline = null
  }

  // ---- Snapshot and reporting -----------------------------------------------------------------

  #dispatch(event: ClientEvent, patch: Partial<ClientSnapshot> = {}): void {
    const previous = this.#snapshot.state
    const state = transition(previous, event)
    this.#publish({ ...patch, state })
    if (state !== previous) {
      this.#options.logger.debug(`[encrypted-socket] ${previous} → ${state}`)
      this.#lifecycle.emit('state', { state, previous })
    }
  }

  #publish(patch: Partial<ClientSnapshot>): void {
    const next = nextSnapshot(this.#snapshot, patch)
    if (next === this.#snapshot) return
    this.#snapshot = next
    for (const listener of [...this.#snapshotListeners]) {
      try {
        listener()
      } catch (error) {
        this.#options.logger.error('[encrypted-socket] a snapshot listener threw', error)
      }
    }
  }

  /** A failure the application should know about; the connection is unaffected by reporting. */
  #report(error: EncryptedSocketError): void {
    this.#options.logger.warn(`[encrypted-socket] ${error.code}: ${error.message}`)
    this.#publish({ lastError: error })
    this.#lifecycle.emit('error', error)
  }

  /** Server-provided text may echo the token back; it never reaches a log or an error. */
  #scrub(text: string): string {
    let scrubbed = text
    for (const token of [this.#token, this.#attempt?.tokenText]) {
      if (token) scrubbed = scrubbed.split(token).join('[token]')
    }
    return scrubbed
  }

  #ensurePendingConnect(): Promise<void> {
    if (!this.#pendingConnect) {
      let resolve!: () => void
      let reject!: (error: EncryptedSocketError) => void
      const promise = new Promise<void>((res, rej) => {
        resolve = res
        reject = rej
      })
      // A rejection nobody awaits (a hook's background connect) must not surface as unhandled.
      promise.catch(noop)
      this.#pendingConnect = { promise, resolve, reject }
    }
    return this.#pendingConnect.promise
  }
}

function closeQuietly(socket: WebSocketLike, code: number, reason: string): void {
  try {
    socket.close(code, reason)
  } catch {
    // Already closed, or an implementation that refuses the code: nothing left to release.
  }
}

function isOffline(): boolean {
  return typeof navigator !== 'undefined' && navigator.onLine === false
}

/** Logs an internal failure; a throwing logger must not break the frame chain that called it. */
function reportQuietly(logger: Logger, message: string, error: unknown): void {
  try {
    logger.error(message, error)
  } catch {
    // Nothing left to tell.
  }
}

function destroyedError(call: string): EncryptedSocketError {
  return new EncryptedSocketError('ERR_DESTROYED', `${call} after destroy(): create a new client.`)
}

function toSocketError(error: unknown, code: ErrorCode): EncryptedSocketError {
  return error instanceof EncryptedSocketError
    ? error
    : new EncryptedSocketError(code, 'Unexpected failure.', { cause: error })
}

function checkRooms(method: string, rooms: readonly string[]): void {
  if (!Array.isArray(rooms) || !rooms.every((room) => typeof room === 'string' && room.length > 0)) {
    throw new EncryptedSocketError('ERR_INVALID_ARGUMENT', `${method}() needs non-empty room names.`)
  }
}
