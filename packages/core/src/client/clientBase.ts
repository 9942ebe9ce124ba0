// The client: its public API, its snapshot, its outbox and rooms, and the decision that follows
// every ended connection. One connection attempt at a time lives in `Connection`. Which protocols
// it speaks is its subclass's choice (encryptedWebSocketClient.ts: v1 and v2; v2OnlyClient.ts:
// v2 alone), so that a v2-only app bundles no v1 code.
import { EncryptedSocketError } from '../errors'
import { resolveOptions, type ResolvedOptions } from '../options'
import type {
  ClientOptions,
  ClientSnapshot,
  ConnectionState,
  EventMap,
  EventName,
  LifecycleEvents,
  RoomDenial,
  SendOptions,
  UnknownEvents,
} from '../types'
import {
  Connection,
  openConnection,
  requiredVersion,
  type ConnectionEnd,
  type ConnectionHost,
} from './connection'
import { checkRooms, checkSend, checkSendOptions, destroyedError } from './checks'
import { ClientSession } from './clientSession'
import { CLIENT_CLOSE } from './reconnect'
import { toOutgoing } from './payload'
import { ConsoleLogger } from './defaultLogger'
import { deferred, type Deferred } from './deferred'
import { Emitter } from './emitter'
import { Outbox, type OutboxItem } from './outbox'
import { REQUEST_TIMEOUT, requestFailed, watchSend } from './sendWatch'
import type { ProtocolSupport, SessionReady } from './session'
import { TokenSource } from './tokenSource'
import { trafficTap, type TrafficTap } from './trafficTap'
import { isOffline, watchPageSignals } from './pageSignals'
import { decideAfterClose } from './reconnect'
import { NextKeyPair } from './keyPairs'
import { RoomAnswers } from './roomAnswers'
import { RoomRegistry } from './roomRegistry'
import { SnapshotStore, type SnapshotAction } from './snapshot'

const noop = (): void => {}
const BINARY_NEEDS_V2 = __DEV__
  ? 'binary payloads need protocol v2, and this server speaks v1 (send JSON instead)'
  : 'binary needs protocol v2'

/** How the client stops: each way in, one way out (`#end`). */
type Ending =
  /** The connection ended on its own or by the client's hand (it has disposed itself). */
  | ({ type: 'ended' } & ConnectionEnd)
  /** No attempt can start (no Web Crypto, no WebSocket, `new WebSocket()` threw). */
  | { type: 'give-up'; error: EncryptedSocketError }
  /** `disconnect()` or `destroy()`. */
  | { type: 'stop'; connectError: EncryptedSocketError; sendError: EncryptedSocketError }

/** The whole client, less the choice of protocols: see `EncryptedWebSocketClient`. */
export abstract class ClientBase<Events extends EventMap = UnknownEvents> {
  readonly #options: ResolvedOptions
  readonly #protocols: ProtocolSupport
  readonly #tokens: TokenSource
  readonly #store: SnapshotStore
  readonly #events: Emitter<Events>
  readonly #lifecycle: Emitter<LifecycleEvents>
  readonly #rooms = new RoomRegistry()
  readonly #roomAnswers = new RoomAnswers()
  readonly #nextKeyPair = new NextKeyPair()
  readonly #outbox = new Outbox()
  /** The v2 session, kept across connections so that the next one can resume it. */
  readonly #session = new ClientSession()
  #nextRequestId = 1
  /** `onTraffic`, guarded; undefined unless the application asked for decrypted traffic. */
  readonly #tap: TrafficTap | undefined
  #connection: Connection | null = null
  /** What `connect()` returned while it waits: settled by the handshake or by the end. */
  #pendingConnect: Deferred | null = null
  #retryTimer: ReturnType<typeof setTimeout> | null = null
  #stopWatchingPage: (() => void) | null = null
  #destroyed = false
  /** A server selected no subprotocol and Node's `ws` refused it: offer none from now on. */
  #offerNoSubprotocol = false
  /** A token expired during the handshake was already retried once with a fresh one. */
  #retriedExpiredToken = false

  protected constructor(options: ClientOptions, protocols: ProtocolSupport) {
    this.#options = resolveOptions(options)
    this.#protocols = protocols
    if (!protocols.v1) this.#options.protocol = onlyV2(options.protocol)
    this.#tokens = new TokenSource(this.#options.token, this.#options.getToken)
    this.#tap = trafficTap(this.#options)
    const onListenerError = (event: string, error: unknown) =>
      this.#options.logger.error(`[encrypted-socket] a "${event}" handler threw`, error)
    this.#events = new Emitter<Events>(onListenerError)
    this.#lifecycle = new Emitter<LifecycleEvents>(onListenerError)
    this.#store = new SnapshotStore((error) =>
      this.#options.logger.error('[encrypted-socket] a snapshot listener threw', error),
    )
    this.getSnapshot = this.#store.get
    this.subscribe = this.#store.subscribe
    // In a page a connect() is near: its key pair is made now, not while its socket opens.
    if (typeof document !== 'undefined') this.#nextKeyPair.prepare()
    if (this.#options.autoJoinRooms.length > 0) {
      this.#rooms.joinExplicit(this.#options.autoJoinRooms)
      this.#publishRooms()
    }
  }

  // ---- Reading state -------------------------------------------------------------------------

  /** The current snapshot: frozen, and the same object until something in it changes. */
  readonly getSnapshot: () => ClientSnapshot

  /** Calls `listener` after every snapshot change (never per message). Returns the unsubscribe. */
  readonly subscribe: (listener: () => void) => () => void

  getState(): ConnectionState {
    return this.#store.get().state
  }

  getClientId(): string | null {
    return this.#store.get().clientId
  }

  getUserId(): string | null {
    return this.#store.get().userId
  }

  /** True while a session key exists. */
  isEncrypted(): boolean {
    return this.#store.get().encrypted
  }

  /** True while authenticated. */
  isConnected(): boolean {
    return this.#store.get().state === 'authenticated'
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
    const state = this.#store.get().state
    if (state === 'authenticated') return Promise.resolve()
    const pending = (this.#pendingConnect ??= deferred()).promise
    if (state === 'disconnected') {
      this.#offerNoSubprotocol = false // the server may have been upgraded since
      this.#stopWatchingPage ??= watchPageSignals(() => this.#pageCameBack())
      this.#dispatch({ type: 'CONNECT' })
      this.#open()
    } else if (state === 'reconnecting') {
      this.#retryNow()
    }
    return pending
  }

  /**
   * Connects again now: from `disconnected` (whatever the reason) as `connect()` does; while
   * reconnecting, the next attempt starts at once; while authenticated, the connection is
   * replaced by a fresh one (close 4000 "Reconnect", not counted as a retry). Resolves once
   * authenticated; rejects like `connect()`.
   */
  reconnect(): Promise<void> {
    const connection = this.#connection
    if (!connection || !this.isConnected()) return this.connect() // destroyed: no connection
    const pending = (this.#pendingConnect ??= deferred()).promise
    this.#connection = null
    connection.close(CLIENT_CLOSE.HANDSHAKE_TIMEOUT, 'Reconnect')
    this.#retryAtOnce() // a listener that disconnects meanwhile rejects `pending`
    return pending
  }

  /** Closes with 1000 "Client disconnect" and stops reconnecting until `connect()`. */
  disconnect(): void {
    this.#end({
      type: 'stop',
      connectError: new EncryptedSocketError(
        'ERR_NOT_CONNECTED',
        __DEV__
          ? 'disconnect() was called before the connection was authenticated.'
          : 'disconnect() was called.',
      ),
      sendError: new EncryptedSocketError(
        'ERR_NOT_CONNECTED',
        __DEV__
          ? 'disconnect() was called before it went out; connect() and send it again.'
          : 'disconnect() was called.',
      ),
    })
  }

  /** Disconnects, drops every handler and room, and refuses all further use. */
  destroy(): void {
    if (this.#destroyed) return
    this.#destroyed = true
    this.#end({
      type: 'stop',
      connectError: destroyedError('connect()'),
      sendError: new EncryptedSocketError(
        'ERR_DESTROYED',
        __DEV__ ? 'destroy() was called before this send() went out.' : 'destroy() was called.',
      ),
    })
    this.#rooms.clear()
    this.#roomAnswers.clear()
    this.#nextKeyPair.clear()
    this.#publishRooms()
    this.#events.offAll()
    this.#lifecycle.offAll()
    this.#store.clear()
  }

  /** The token for the next connection attempt (the current connection keeps its own). */
  updateToken(token: string): void {
    this.#tokens.update(token)
  }

  /**
   * Turns the default logger's `debug` and `info` lines on or off (the `debug` option at run
   * time). Your own `logger` receives every level whatever this says.
   */
  setDebug(on: boolean): void {
    const logger = this.#options.logger
    if (logger instanceof ConsoleLogger) logger.verbose = on
  }

  // ---- Sending ---------------------------------------------------------------------------------

  /**
   * Encrypts and sends an application event; while connecting or reconnecting it waits in the
   * outbox and goes out, in order, under the new key. v2: resolves when the server acknowledges
   * it (processed once, even across reconnects); v1: when it was handed to the socket. Rejects
   * with `ERR_NOT_CONNECTED` (disconnected), `ERR_OUTBOX_FULL`, `ERR_SEND_TIMEOUT`,
   * `ERR_ABORTED`, `ERR_SEND_EXPIRED`, `ERR_RESERVED_EVENT`, `ERR_INVALID_PAYLOAD` or
   * `ERR_DESTROYED`.
   */
  send<K extends EventName<Events>>(event: K, data?: Events[K], options: SendOptions = {}): Promise<void> {
    return this.#enqueue('send', event, data, options) as Promise<void>
  }

  /**
   * v2: sends a request and resolves with the server handler's answer (its return value).
   * Rejects with `ERR_REQUEST_FAILED` (the handler's code in `serverCode`), `ERR_REQUEST_TIMEOUT`
   * (after `timeout`, default 30 s), `ERR_ABORTED`, `ERR_PROTOCOL_VERSION` (a v1 server), or
   * what `send()` rejects with.
   */
  request<K extends EventName<Events>, Result = unknown>(
    event: K,
    data?: Events[K],
    options: SendOptions = {},
  ): Promise<Result> {
    return this.#enqueue('request', event, data, { timeout: REQUEST_TIMEOUT, ...options }) as Promise<Result>
  }

  #enqueue(kind: 'send' | 'request', event: string, data: unknown, options: SendOptions): Promise<unknown> {
    try {
      const { state, protocol, lastError } = this.#store.get()
      checkSendOptions(`${kind}("${event}")`, options)
      const message = toOutgoing(event, data)
      const v1 = protocol === 'v1' || requiredVersion(this.#options) === 'v1'
      if (kind === 'request' && v1) {
        throw new EncryptedSocketError('ERR_PROTOCOL_VERSION', `request("${event}") needs protocol v2.`)
      }
      checkSend(event, options, {
        destroyed: this.#destroyed,
        // Between a connection's end and the state change (an `error` listener), it is as if reconnecting.
        state: state === 'authenticated' && !this.#connection ? 'reconnecting' : state,
        plaintextOnly: state === 'authenticated' && this.#connection?.encrypted === false,
        reservedNames: requiredVersion(this.#options) !== 'v2',
        binaryRefused: message.binary && v1 ? BINARY_NEEDS_V2 : null,
        waiting: this.#outbox.size,
        maxWaiting: this.#options.outbox.maxSize,
        tokenRefused: lastError?.code === 'ERR_REJECTED',
      })
      if (kind === 'request') message.id = this.#nextRequestId++
      const settled = new Promise((resolve, reject) => {
        const item: OutboxItem = {
          message,
          request: kind === 'request',
          queuedAt: Date.now(),
          maxAge: options.maxAge ?? this.#options.outbox.maxAge,
          written: false,
          cancelled: false,
          resolve,
          reject,
        }
        watchSend(item, kind, options, (error) => this.#outbox.cancel(item, error))
        this.#outbox.push(item)
        this.#pump()
      })
      // A send from an event handler is often not awaited: its failure (the component unmounted,
      // the client was destroyed) must not surface as an unhandled rejection. Awaiting it still
      // rejects; `lastError` and the `error` lifecycle event report what went wrong with the connection.
      settled.catch(noop)
      return settled
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** Sends what waits in the outbox, while authenticated. */
  #pump(): void {
    const current = () => (this.#store.get().state === 'authenticated' ? this.#connection : null)
    void this.#outbox.drain(current, this.#session, this.#options.logger, this.#tap)
  }

  // ---- Rooms -----------------------------------------------------------------------------------

  /** Joins rooms until `leaveRooms()`; they are re-joined after every reconnect. */
  joinRooms(rooms: readonly string[]): void {
    checkRooms('joinRooms', rooms)
    if (this.#destroyed) return
    // A refused room named again is asked for again.
    const asked = [...this.#rooms.joinExplicit(rooms), ...this.#roomAnswers.retry(rooms)]
    this.#sendRoomChange('join', [...new Set(asked)])
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
    else this.#publishRooms()
    let released = false
    return () => {
      if (released || this.#destroyed) return
      released = true
      if (this.#rooms.release(room)) this.#sendRoomChange('leave', [room])
    }
  }

  #sendRoomChange(type: 'join' | 'leave', rooms: string[]): void {
    const snapshot = this.#store.get()
    if (type === 'leave') this.#roomAnswers.released(rooms)
    // v1 confirms nothing: a room asked for while authenticated counts as joined at once.
    else if (snapshot.state === 'authenticated' && snapshot.protocol === 'v1')
      for (const room of rooms) this.#roomAnswers.joined(room)
    this.#publishRooms()
    if (snapshot.state !== 'authenticated') return
    this.#connection?.changeRooms(type, rooms)
  }

  /** The snapshot's rooms, and what the server answered about them. */
  #publishRooms(): void {
    const rooms = this.#rooms.list()
    this.#dispatch({ type: 'ROOMS', rooms, ...this.#roomAnswers.view(rooms) })
  }

  /** The server's answer about a room; one the application no longer holds is forgotten. */
  #roomAnswer(room: string, denial: RoomDenial | null): void {
    if (!this.#rooms.has(room)) return
    if (denial) this.#roomAnswers.denied(room, denial)
    else this.#roomAnswers.joined(room)
    this.#publishRooms()
    if (denial) this.#lifecycle.emit('denied', { room, denial })
  }

  // ---- One connection attempt ------------------------------------------------------------------

  /** What every connection tells this client; a disposed connection tells nothing. */
  readonly #host: ConnectionHost = {
    opened: () => this.#dispatch({ type: 'SOCKET_OPEN' }),
    authenticated: (connection, info, session) => this.#authenticated(connection, info, session),
    acknowledged: (seq) => this.#outbox.acknowledge(seq),
    answered: (id, answer) =>
      this.#outbox.answer(id, answer, (error) =>
        requestFailed({ code: this.#host.scrub(error.code), message: this.#host.scrub(error.message) }),
      ),
    gap: (gap) => this.#lifecycle.emit('gap', gap),
    roomJoined: (room) => this.#roomAnswer(room, null),
    roomDenied: (room, denial) => this.#roomAnswer(room, denial),
    event: (name, data) => {
      this.#tap?.('received', name, data)
      this.#events.emit(name as EventName<Events>, data as Events[EventName<Events>])
    },
    report: (error) => this.#report(error),
    ended: (end) => this.#end({ type: 'ended', ...end }),
    subprotocolRefused: () => {
      this.#offerNoSubprotocol = true
    },
    scrub: (text) => this.#tokens.scrub(text, this.#connection?.tokenText),
    refreshToken: async () => {
      try {
        return await this.#tokens.refresh()
      } catch (error) {
        // The session goes on until the token expires; then the reconnect asks getToken() again.
        this.#options.logger.warn('[encrypted-socket] getToken() failed for a token refresh', error)
        return undefined
      }
    },
  }

  #open(): void {
    const opened = openConnection(this.#options, () => this.#tokens.next(), this.#host, {
      keys: this.#nextKeyPair.take(),
      offerNone: this.#offerNoSubprotocol,
      session: this.#session,
      protocols: this.#protocols,
    })
    if (opened instanceof Connection) this.#connection = opened
    else this.#end({ type: 'give-up', error: opened })
  }

  #authenticated(
    connection: Connection,
    info: { clientId: string; userId: string; encrypted: boolean; protocol: 'v1' | 'v2' },
    session: SessionReady | undefined,
  ): void {
    const { encrypted, protocol } = info
    this.#retriedExpiredToken = false
    if (session) this.#outbox.startSession(session.resumed, session.processed)
    const wanted = this.#rooms.list().filter((room) => !this.#roomAnswers.isDenied(room))
    const held = session?.held ?? []
    this.#roomAnswers.connectionStarted(
      protocol === 'v1' ? wanted : held.filter((room) => wanted.includes(room)),
    )
    const { joinedRooms } = this.#roomAnswers.view(this.#rooms.list())
    this.#dispatch({ type: 'AUTHENTICATED', ...info, resumed: session?.resumed ?? false, joinedRooms })
    // A state listener may have called disconnect() or destroy() meanwhile.
    if (connection.disposed) return
    this.#restoreRooms(connection, session)
    if (protocol === 'v1') {
      const error = new EncryptedSocketError(
        'ERR_INVALID_PAYLOAD',
        __DEV__ ? `A binary send was refused: ${BINARY_NEEDS_V2}.` : 'Binary needs protocol v2.',
      )
      for (const item of this.#outbox.takeWhere((item) => item.message.binary !== undefined))
        item.reject(error)
    }
    this.#nextKeyPair.prepare() // for the next connection (a reconnect, a re-key), made while idle
    this.#pendingConnect?.resolve()
    this.#pendingConnect = null
    if (!encrypted) {
      this.#outbox.rejectAll(
        new EncryptedSocketError(
          'ERR_PLAINTEXT_REJECTED',
          __DEV__
            ? 'The server set up no encryption; events are never sent in plaintext.'
            : 'No encryption: nothing is sent.',
        ),
      )
    }
    this.#lifecycle.emit('authenticated', info)
    if (session?.lost) this.#lifecycle.emit('gap', { scope: 'session' })
    for (const room of session?.roomGaps ?? []) this.#lifecycle.emit('gap', { scope: 'room', room })
    this.#pump()
  }

  /**
   * Rooms after `ready`: a resumed session keeps the rooms the server holds (those no longer
   * wanted are left); every other wanted room is joined, with `since` where the client has been.
   */
  #restoreRooms(connection: Connection, session: SessionReady | undefined): void {
    // A refused room is not asked for again on its own (see `RoomAnswers`).
    const wanted = this.#rooms.list().filter((room) => !this.#roomAnswers.isDenied(room))
    const held = new Set(session?.held ?? [])
    connection.changeRooms(
      'leave',
      [...held].filter((room) => !wanted.includes(room)),
    )
    connection.changeRooms(
      'join',
      wanted.filter((room) => !held.has(room)),
    )
  }

  // ---- The one way out ---------------------------------------------------------------------------

  /**
   * Every end goes through here: a connection that ended (retry, re-key or give up, as
   * `decideAfterClose` says), an attempt that cannot start, `disconnect()` and `destroy()`.
   */
  #end(ending: Ending): void {
    const connection = this.#connection
    this.#connection = null
    this.#outbox.connectionEnded()
    this.#roomAnswers.connectionEnded()
    if (ending.type === 'stop') connection?.close(1000, 'Client disconnect')
    else connection?.dispose()
    this.#clearRetryTimer()
    if (ending.type === 'stop')
      return this.#settle({ type: 'DISCONNECT' }, ending.connectError, ending.sendError)
    if (ending.type === 'give-up' || ending.next === 'give-up') return this.#giveUp(ending.error)
    const close = { ...ending.close, retryCount: this.#store.get().retryCount }
    if (ending.next === 'token-expired') {
      // Part of the handshake, whatever the reconnect policy: once, at once, with a fresh token.
      // A second expiry before `ready` means getToken() has no fresh one to give.
      if (!this.#options.getToken || this.#retriedExpiredToken) return this.#giveUp(close.error!)
      this.#retriedExpiredToken = true
      return this.#retryAtOnce()
    }
    if (close.error) this.#report(close.error)
    // An `error` listener may have called disconnect() or destroy(): then nothing more to do.
    if (this.#destroyed || this.#store.get().state === 'disconnected') return
    const decision = decideAfterClose(close, ending.next === 'retry-now', this.#options.reconnect)
    switch (decision.type) {
      case 'retry-now':
        return this.#retryAtOnce()
      case 'retry-after':
        this.#dispatch({ type: 'CONNECTION_LOST', nextRetryAt: Date.now() + decision.delay })
        this.#lifecycle.emit('reconnecting', { attempt: decision.attempt, delay: decision.delay })
        if (!this.#waitingToRetry()) return // a listener disconnected or destroyed the client
        this.#nextKeyPair.prepare()
        this.#retryTimer = setTimeout(() => {
          this.#retryTimer = null
          this.#retryNow()
        }, decision.delay)
        return
      case 'give-up':
        this.#giveUp(decision.error)
        if (decision.exhausted) this.#lifecycle.emit('reconnect_failed', { retries: close.retryCount })
    }
  }

  /** The next attempt at once, not counted as a retry. */
  #retryAtOnce(): void {
    this.#dispatch({ type: 'CONNECTION_LOST', nextRetryAt: null })
    if (!this.#waitingToRetry()) return // a listener disconnected or destroyed the client
    this.#dispatch({ type: 'RETRY', counted: false })
    this.#open()
  }

  #giveUp(error: EncryptedSocketError): void {
    this.#settle(
      { type: 'GIVE_UP', error },
      error,
      new EncryptedSocketError('ERR_NOT_CONNECTED', error.message, { cause: error }),
    )
  }

  /**
   * Stops: no more page watching (unless retries ran out: then the page coming back starts
   * again), the state, then `connect()` and the outbox are answered. The pending `connect()` and
   * the waiting sends are taken before the state changes, so a listener that calls `connect()` or
   * `send()` again starts afresh instead of being rejected with these.
   */
  #settle(action: SnapshotAction, connectError: EncryptedSocketError, sendError: EncryptedSocketError): void {
    if (connectError.code !== 'ERR_RETRIES_EXHAUSTED') {
      this.#stopWatchingPage?.()
      this.#stopWatchingPage = null
    }
    const pending = this.#pendingConnect
    this.#pendingConnect = null
    const waiting = this.#outbox.takeAll()
    this.#dispatch(action)
    pending?.reject(connectError)
    for (const item of waiting) item.reject(sendError)
  }

  /**
   * The page came back online or visible: skip the rest of a backoff, check that an authenticated
   * connection is alive (v2 pings), and restart an attempt stuck in its handshake (its socket may
   * have died with the old network) instead of leaving it to its timeout. After retries ran out
   * (the only stop that keeps watching), start again as `connect()` does.
   */
  #pageCameBack(): void {
    const connection = this.#connection
    const { state } = this.#store.get()
    if (state === 'disconnected') return void (isOffline() || this.connect().catch(noop))
    if (state === 'reconnecting') return this.#retryNow()
    if (state === 'authenticated') return connection?.probe()
    if (connection?.handshaking && !isOffline()) {
      connection.close(CLIENT_CLOSE.HANDSHAKE_TIMEOUT, 'Restart')
      const restart = {
        code: CLIENT_CLOSE.HANDSHAKE_TIMEOUT,
        reason: 'Restart',
        wasClean: false,
        error: null,
      }
      this.#end({ type: 'ended', next: 'retry-now', close: restart })
    }
  }

  /** Starts the next attempt now, unless the browser is offline (then `online` starts it). */
  #retryNow(): void {
    this.#clearRetryTimer()
    if (!this.#waitingToRetry()) return
    if (isOffline()) return this.#dispatch({ type: 'RETRY_DEFERRED' })
    this.#dispatch({ type: 'RETRY', counted: true })
    this.#open()
  }

  /** True between attempts; false once disconnect() or destroy() ended the retries. */
  #waitingToRetry(): boolean {
    return !this.#destroyed && this.#store.get().state === 'reconnecting'
  }

  #clearRetryTimer(): void {
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer)
    this.#retryTimer = null
  }

  // ---- Snapshot and reporting -----------------------------------------------------------------

  /** Every snapshot change goes through `reduce`; a state change is also announced. */
  #dispatch(action: SnapshotAction): void {
    const { state: previous } = this.#store.dispatch(action)
    const { state } = this.#store.get()
    if (state === previous) return
    this.#options.logger.debug(`[encrypted-socket] ${previous} → ${state}`)
    this.#lifecycle.emit('state', { state, previous })
  }

  /** A failure the application should know about; the connection is unaffected by reporting. */
  #report(error: EncryptedSocketError): void {
    this.#options.logger.warn(`[encrypted-socket] ${error.code}: ${error.message}`)
    this.#dispatch({ type: 'REPORT', error })
    this.#lifecycle.emit('error', error)
  }
}

/** A client without v1 speaks v2 whatever the default; asking it for v1 or "auto" is a mistake. */
function onlyV2(asked: ClientOptions['protocol']): 'v2' {
  if (asked === undefined || asked === 'v2') return 'v2'
  throw new EncryptedSocketError(
    'ERR_INVALID_OPTION',
    __DEV__
      ? `Option "protocol" must be "v2" (or left out) for the client from @encrypted-socket/core/v2; got "${asked}". To reach v1 servers, import the client from @encrypted-socket/core.`
      : 'Option "protocol" must be "v2".',
  )
}
