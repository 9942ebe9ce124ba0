// One connection attempt, from `new WebSocket()` to its end: the socket, the subprotocol offer,
// the handshake timer and the protocol the server selected (v1Protocol.ts or v2Protocol.ts). It is
// disposed once, and every callback first asks whether it was, so nothing of an old attempt can
// act after it ended. It tells the client what happened through its host.
import { EncryptedSocketError } from '../errors'
import type { ResolvedOptions } from '../options'
import type { EphemeralKeys } from '../protocol/handshake'
import { PROTOCOL_V1, PROTOCOL_V2 } from '../protocol/v2/subprotocols'
import type { CloseInfo, Logger, RoomDenial, WebSocketConstructor, WebSocketLike } from '../types'
import { constructFailure, openFailure, ORIGIN_REFUSED_CLOSE, originRefused } from './openFailure'
import { CLIENT_CLOSE, MESSAGE_TOO_BIG, REJECTED_CLOSE_CODES } from './reconnect'
import type { ClientSession } from './clientSession'
import type { RequestAnswer } from './outbox'
import type {
  Gap,
  OutgoingMessage,
  Protocol,
  ProtocolContext,
  ProtocolSupport,
  SessionReady,
} from './session'

const OPEN = 1
const noop = (): void => {}

/** How a connection ended: what the client needs to decide what comes next. */
export type ConnectionEnd =
  /**
   * `decide`: the reconnect policy decides. `retry-now`: open the next attempt at once, not
   * counted as a retry (a re-key, a subprotocol fallback). `token-expired`: once, at once, with a
   * fresh `getToken()`; without one, give up.
   */
  | { next: 'decide' | 'retry-now' | 'token-expired'; close: Omit<CloseInfo, 'retryCount'> }
  /** Nothing can be retried: no token at all, a wrong `ecdhInfo`, a server without v2 for a v2 client. */
  | { next: 'give-up'; error: EncryptedSocketError }

/** What a connection tells its client. A disposed connection tells nothing. */
export interface ConnectionHost {
  /** The socket opened; the handshake starts. */
  opened(): void
  /** The handshake completed. */
  authenticated(
    connection: Connection,
    info: { clientId: string; userId: string; encrypted: boolean; protocol: 'v1' | 'v2' },
    session: SessionReady | undefined,
  ): void
  /** v2: the server processed every client seq up to `seq`. */
  acknowledged(seq: number): void
  /** v2: the `res` of request `id`. */
  answered(id: number, answer: RequestAnswer): void
  /** v2: a stream lost messages. */
  gap(gap: Gap): void
  /** v2: the server let this connection into `room`. */
  roomJoined(room: string): void
  /** The server refused `room`. */
  roomDenied(room: string, denial: RoomDenial): void
  /** An application event: decrypted, or in plaintext from a v1 server the options allow to send it. */
  event(name: string, data: unknown): void
  /** A failure the application should know about; the connection goes on. */
  report(error: EncryptedSocketError): void
  /** The connection is over (it has disposed itself). */
  ended(end: ConnectionEnd): void
  /** Node's `ws` refused the upgrade because the server selected no subprotocol: offer none next time. */
  subprotocolRefused(): void
  /** Text from the server with every token the client knows replaced. */
  scrub(text: string): string
  /** v2: a fresh token for an in-band refresh; undefined without `getToken` or when it failed. */
  refreshToken(): Promise<string | undefined>
}

export interface ConnectionOptions {
  /** Offer no subprotocol at all (a server that selects none made Node's `ws` refuse the upgrade). */
  offerNone: boolean
  /** This connection's ephemeral key pair (made ahead of it; used by no other connection). */
  keys: Promise<EphemeralKeys>
  /** The client's v2 session, kept across connections. */
  session: ClientSession
  /** The protocols this client speaks. */
  protocols: ProtocolSupport
}

/**
 * Starts an attempt: the connection, or why none can start (no Web Crypto, no WebSocket,
 * `new WebSocket()` threw). Nothing here is worth retrying.
 */
export function openConnection(
  options: ResolvedOptions,
  token: () => Promise<string>,
  host: ConnectionHost,
  connection: ConnectionOptions,
): Connection | EncryptedSocketError {
  const WebSocketImpl = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket
  if (!globalThis.crypto?.subtle) {
    return new EncryptedSocketError(
      'ERR_NO_CRYPTO',
      __DEV__ ? 'No crypto.subtle: serve the page over https:// or localhost.' : 'No crypto.subtle.',
    )
  }
  if (!WebSocketImpl) {
    return new EncryptedSocketError(
      'ERR_NO_WEBSOCKET',
      __DEV__ ? 'No WebSocket: pass one as the `WebSocket` option (ws in Node).' : 'No WebSocket.',
    )
  }
  try {
    return new Connection(WebSocketImpl, options, token, host, connection)
  } catch (cause) {
    return constructFailure(options.url, cause)
  }
}

/** The version the client insists on: a pinned client never falls back to v1 (§1). */
export function requiredVersion(options: ResolvedOptions): 'v1' | 'v2' | 'auto' {
  return options.protocol === 'auto' && options.serverIdentity ? 'v2' : options.protocol
}

/** The subprotocols to offer: the application's own, then v1 and v2, in that order (§1). */
function offeredProtocols(options: ResolvedOptions, offerNone: boolean): string[] | string | undefined {
  if (requiredVersion(options) === 'v1' || offerNone) return options.protocols
  const own = options.protocols === undefined ? [] : [options.protocols].flat()
  return [...own, PROTOCOL_V1, PROTOCOL_V2]
}

export class Connection {
  readonly #options: ResolvedOptions
  readonly #host: ConnectionHost
  readonly #socket: WebSocketLike
  readonly #token: Promise<string>
  readonly #keys: Promise<EphemeralKeys>
  readonly #offered: boolean
  readonly #session: ClientSession
  readonly #support: ProtocolSupport
  #disposed = false
  #opened = false
  #authenticated = false
  /** Node's `ws` refused the upgrade for its subprotocol: the next attempt, at once, offers none. */
  #subprotocolRefused = false
  /** What Node's `ws` said when the socket failed before it opened (browsers say nothing). */
  #openError = ''
  #protocol: Protocol | null = null
  /** The token once known, only to scrub it from server-provided text. */
  #tokenText: string | undefined
  #handshakeTimer: ReturnType<typeof setTimeout> | undefined

  /** Opens the socket (throws what `new WebSocket()` throws); the handshake starts when it opens. */
  constructor(
    WebSocketImpl: WebSocketConstructor,
    options: ResolvedOptions,
    token: () => Promise<string>,
    host: ConnectionHost,
    { offerNone, session, keys, protocols: support }: ConnectionOptions,
  ) {
    this.#options = options
    this.#session = session
    this.#support = support
    this.#host = host
    const protocols = offeredProtocols(options, offerNone)
    this.#offered = Array.isArray(protocols) ? protocols.length > 0 : protocols !== undefined
    this.#socket = new WebSocketImpl(options.url, protocols)
    this.#socket.binaryType = 'arraybuffer'
    // The token is fetched while the socket opens (the key pair was made ahead: see NextKeyPair).
    this.#keys = keys
    this.#keys.catch(noop) // a failure surfaces in the handshake
    this.#token = token()
    this.#token.catch(noop)
    this.#socket.onopen = () => this.#onOpen()
    this.#socket.onmessage = (event) => {
      if (!this.#disposed) this.#protocol?.receive(event.data)
    }
    this.#socket.onclose = (event) => this.#onClose(event)
    this.#socket.onerror = (event) => this.#onError(event)
    this.#handshakeTimer = setTimeout(() => {
      this.#fail(
        CLIENT_CLOSE.HANDSHAKE_TIMEOUT,
        new EncryptedSocketError(
          'ERR_HANDSHAKE_TIMEOUT',
          __DEV__
            ? `No handshake within ${options.handshakeTimeout} ms (handshakeTimeout).`
            : 'No handshake in time.',
        ),
      )
    }, options.handshakeTimeout)
  }

  get disposed(): boolean {
    return this.#disposed
  }

  /** True once authenticated with a session key (false for a keyless v1 server). */
  get encrypted(): boolean {
    return this.#authenticated && this.#protocol?.encrypted === true
  }

  get tokenText(): string | undefined {
    return this.#tokenText
  }

  /** v2: messages carry seqs and wait for acks. */
  get numbered(): boolean {
    return this.#protocol?.version === 'v2'
  }

  /** True while frames can be written. */
  get writable(): boolean {
    return !this.#disposed && this.#socket.readyState === OPEN
  }

  /** Seals and writes messages in order; resolves with how many were handed to the socket. */
  send(messages: readonly OutgoingMessage[]): Promise<number> {
    if (!this.#authenticated || !this.#protocol) return Promise.resolve(0)
    return this.#protocol.send(messages)
  }

  changeRooms(type: 'join' | 'leave', rooms: readonly string[]): void {
    if (this.#authenticated && rooms.length > 0) this.#protocol?.changeRooms(type, rooms)
  }

  /** The page came back: v2 pings at once (v1 cannot tell). */
  probe(): void {
    if (this.#authenticated) this.#protocol?.probe()
  }

  /** True while the handshake is still under way (the socket may not even be open). */
  get handshaking(): boolean {
    return !this.#disposed && !this.#authenticated
  }

  /** The key has done all it may: a new connection brings a new key. */
  rekey(): void {
    if (this.#disposed) return
    this.#logger.info('[encrypted-socket] key limit reached: re-keying')
    this.close(CLIENT_CLOSE.REKEY, 'Re-key')
    this.#host.ended({
      next: 'retry-now',
      close: { code: CLIENT_CLOSE.REKEY, reason: 'Re-key', wasClean: false, error: null },
    })
  }

  /** Silences the connection: its socket's callbacks, its timers and its keys are gone. Idempotent. */
  dispose(): void {
    if (this.#disposed) return
    this.#disposed = true
    this.#protocol?.dispose()
    clearTimeout(this.#handshakeTimer)
    const socket = this.#socket
    socket.onopen = noop
    socket.onmessage = noop
    socket.onclose = noop
    socket.onerror = noop
  }

  /** Disposes and closes the socket with `code` (no `ended`: the client is ending it itself). */
  close(code: number, reason: string): void {
    this.dispose()
    closeQuietly(this.#socket, code, reason)
  }

  get #logger(): Logger {
    return this.#options.logger
  }

  #onOpen(): void {
    if (this.#disposed) return
    this.#opened = true
    const selected = this.#socket.protocol ?? ''
    if (selected !== PROTOCOL_V2 && requiredVersion(this.#options) === 'v2') {
      return this.#giveUp(
        CLIENT_CLOSE.PROTOCOL_VERSION,
        new EncryptedSocketError(
          'ERR_PROTOCOL_VERSION',
          !__DEV__
            ? 'The server does not speak protocol v2.'
            : this.#options.serverIdentity
              ? 'The server does not speak protocol v2, and a pinned serverIdentity requires it (v1 would send the token in clear). Upgrade the server.'
              : 'The server does not speak protocol v2 (protocol: "v2"). Upgrade the server, or use protocol: "auto".',
        ),
      )
    }
    this.#host.opened()
    const context = this.#context()
    // Without v1 the client requires v2 (ClientBase), so a v1 selection gave up above.
    const { v1, v2 } = this.#support
    this.#protocol = selected === PROTOCOL_V2 || !v1 ? v2(context) : v1(context)
  }

  /** What the protocol may do with this connection; nothing once it is disposed. */
  #context(): ProtocolContext {
    const isDisposed = () => this.#disposed
    return {
      options: this.#options,
      keys: this.#keys,
      get disposed() {
        return isDisposed()
      },
      token: () => this.#awaitToken(),
      refreshToken: () => (this.#disposed ? Promise.resolve(undefined) : this.#host.refreshToken()),
      write: (frame) => {
        if (!this.writable) return false
        this.#socket.send(frame)
        return true
      },
      session: this.#session,
      authenticated: ({ clientId, userId, session }) => {
        if (this.#disposed || !this.#protocol) return
        clearTimeout(this.#handshakeTimer)
        this.#authenticated = true
        const { version, encrypted } = this.#protocol
        this.#host.authenticated(this, { clientId, userId, encrypted, protocol: version }, session)
      },
      acknowledged: (seq) => {
        if (!this.#disposed) this.#host.acknowledged(seq)
      },
      answered: (id, answer) => {
        if (!this.#disposed) this.#host.answered(id, answer)
      },
      gap: (gap) => {
        if (!this.#disposed) this.#host.gap(gap)
      },
      roomJoined: (room) => {
        if (!this.#disposed) this.#host.roomJoined(room)
      },
      roomDenied: (room, denial) => {
        if (!this.#disposed) this.#host.roomDenied(room, denial)
      },
      event: (name, data) => {
        if (!this.#disposed) this.#host.event(name, data)
      },
      report: (error) => {
        if (!this.#disposed) this.#host.report(error)
      },
      fail: (code, error, next) => this.#fail(code, error, next),
      giveUp: (code, error) => this.#giveUp(code, error),
      rekey: () => this.rekey(),
      scrub: (text) => this.#host.scrub(text),
      logError: (message, error) => {
        try {
          this.#logger.error(message, error)
        } catch {
          // Nothing left to tell.
        }
      },
    }
  }

  /** The token of this attempt; ends the attempt (and gives undefined) when there is none. */
  async #awaitToken(): Promise<string | undefined> {
    try {
      const token = await this.#token
      if (this.#disposed) return undefined
      this.#tokenText = token
      return token
    } catch (cause) {
      if (this.#disposed) return undefined
      if (cause instanceof EncryptedSocketError) {
        // No token at all: retrying cannot help.
        this.#giveUp(CLIENT_CLOSE.NORMAL, cause)
        return undefined
      }
      this.#fail(
        CLIENT_CLOSE.TOKEN_UNAVAILABLE,
        new EncryptedSocketError('ERR_TOKEN_UNAVAILABLE', 'getToken() failed; retrying.', { cause }),
      )
      return undefined
    }
  }

  #onError(event: unknown): void {
    // Node's `ws` refuses an upgrade whose response selected no subprotocol after we offered some
    // (browsers accept it): then the server is v1, and the next attempt offers none.
    const message = String((event as { message?: unknown } | null)?.message ?? '')
    if (!this.#opened) this.#openError = message
    if (
      !this.#opened &&
      this.#offered &&
      /subprotocol/i.test(message) &&
      requiredVersion(this.#options) === 'auto'
    ) {
      this.#subprotocolRefused = true
      this.#host.subprotocolRefused()
    }
  }

  #onClose(event: { code: number; reason: string; wasClean: boolean }): void {
    if (this.#disposed) return
    // What arrived before the close is handled first: a server's `error` record (TOKEN_EXPIRED,
    // AUTH_FAILED) says more than the close code that follows it.
    const settled = this.#protocol?.settled() ?? Promise.resolve()
    void settled.then(() => this.#closed(event))
  }

  #closed(event: { code: number; reason: string; wasClean: boolean }): void {
    if (this.#disposed) return
    const { code } = event
    const reason = this.#host.scrub(event.reason ?? '')
    const explained = code === ORIGIN_REFUSED_CLOSE ? originRefused() : this.#protocol?.explainClose(code)
    if (explained) {
      this.dispose()
      return this.#host.ended({ next: 'give-up', error: explained })
    }
    if (!this.#opened && !this.#subprotocolRefused) return this.#neverOpened(event)
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
    this.dispose()
    const next = this.#subprotocolRefused ? 'retry-now' : 'decide'
    this.#host.ended({ next, close: { code, reason, wasClean: event.wasClean, error } })
  }

  /** The socket closed before it opened: say why as well as the platform lets us know. */
  #neverOpened(event: { code: number; reason: string; wasClean: boolean }): void {
    const { error, retry } = openFailure(this.#options.url, this.#openError, (text) => this.#host.scrub(text))
    this.dispose()
    if (!retry) return this.#host.ended({ next: 'give-up', error })
    this.#host.ended({
      next: 'decide',
      close: { code: event.code, reason: '', wasClean: event.wasClean, error },
    })
  }

  /** The client ends the attempt itself, for `error`: close with its own code, then `next`. */
  #fail(
    code: number,
    error: EncryptedSocketError,
    next: 'decide' | 'retry-now' | 'token-expired' = 'decide',
  ): void {
    if (this.#disposed) return
    this.close(code, error.code)
    this.#host.ended({ next, close: { code, reason: error.code, wasClean: false, error } })
  }

  #giveUp(code: number, error: EncryptedSocketError): void {
    if (this.#disposed) return
    this.close(code, error.code)
    this.#host.ended({ next: 'give-up', error })
  }
}

function closeQuietly(socket: WebSocketLike, code: number, reason: string): void {
  try {
    socket.close(code, reason)
  } catch {
    // Already closed, or an implementation that refuses the code: nothing left to release.
  }
}
