// One connection attempt, from `new WebSocket()` to its end: the socket, the handshake, the
// session, the timers and the in-order frame queue. It is disposed once, and every callback first
// asks whether it was, so nothing of an old attempt can act after it ended. It tells the client
// what happened through its host.
import { EncryptedSocketError } from '../errors'
import type { ResolvedOptions } from '../options'
import { HEARTBEAT_FRAME, parseServerFrame, type ConnectedFrame, type ServerFrame } from '../protocol/codec'
import type { CloseInfo, Logger, WebSocketConstructor, WebSocketLike } from '../types'
import { CLIENT_CLOSE, MESSAGE_TOO_BIG, REJECTED_CLOSE_CODES } from './reconnect'
import type { EncryptedFrame, Handshake, Opened, Session } from './session'
import { V1Handshake } from './v1Handshake'

const OPEN = 1
const noop = (): void => {}

/** How a connection ended: what the client needs to decide what comes next. */
export type ConnectionEnd =
  /** The reconnect policy decides; `rekey`: the client ended it for a new key (retry at once, not counted). */
  | { next: 'decide' | 'rekey'; close: Omit<CloseInfo, 'retryCount'> }
  /** Nothing can be retried: there is no token at all. */
  | { next: 'give-up'; error: EncryptedSocketError }

/** What a connection tells its client. A disposed connection tells nothing. */
export interface ConnectionHost {
  /** The socket opened; the handshake starts. */
  opened(): void
  /** The handshake completed (`encrypted`: a session exists). */
  authenticated(connection: Connection, info: { clientId: string; userId: string; encrypted: boolean }): void
  /** An application event: decrypted, or in plaintext from a server the options allow to send it. */
  event(name: string, data: unknown): void
  /** A failure the application should know about; the connection goes on. */
  report(error: EncryptedSocketError): void
  /** The connection is over (it has disposed itself). */
  ended(end: ConnectionEnd): void
  /** Text from the server with every token the client knows replaced. */
  scrub(text: string): string
}

type Phase = 'opening' | 'authenticating' | 'authenticated' | 'disposed'

/**
 * Starts an attempt: the connection, or why none can start (no Web Crypto, no WebSocket,
 * `new WebSocket()` threw). Nothing here is worth retrying.
 */
export function openConnection(
  options: ResolvedOptions,
  token: () => Promise<string>,
  host: ConnectionHost,
): Connection | EncryptedSocketError {
  const WebSocketImpl = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket
  if (!globalThis.crypto?.subtle) {
    return new EncryptedSocketError(
      'ERR_NO_CRYPTO',
      'No crypto.subtle: serve the page over https:// or localhost.',
    )
  }
  if (!WebSocketImpl) {
    return new EncryptedSocketError(
      'ERR_NO_WEBSOCKET',
      'No WebSocket: pass one as the `WebSocket` option (ws in Node).',
    )
  }
  try {
    return new Connection(WebSocketImpl, options, token, host)
  } catch (cause) {
    return new EncryptedSocketError('ERR_CONNECTION_CLOSED', 'new WebSocket() failed.', { cause })
  }
}

export class Connection {
  readonly #options: ResolvedOptions
  readonly #host: ConnectionHost
  readonly #socket: WebSocketLike
  readonly #handshake: Handshake
  readonly #token: Promise<string>
  #phase: Phase = 'opening'
  #session: Session | null = null
  /** The token once known, only to scrub it from server-provided text. */
  #tokenText: string | undefined
  /** Frames are handled one at a time, in arrival order: each waits for this chain. */
  #frames = Promise.resolve()
  #handshakeTimer: ReturnType<typeof setTimeout> | undefined
  #heartbeatTimer: ReturnType<typeof setInterval> | undefined

  /** Opens the socket (throws what `new WebSocket()` throws), then starts the handshake. */
  constructor(
    WebSocketImpl: WebSocketConstructor,
    options: ResolvedOptions,
    token: () => Promise<string>,
    host: ConnectionHost,
  ) {
    this.#options = options
    this.#host = host
    this.#socket = new WebSocketImpl(options.url, options.protocols)
    // The key pair and the token are made while the socket opens: the socket starts first, since
    // its network round trips are the longest wait.
    this.#handshake = new V1Handshake(options)
    this.#token = token()
    this.#token.catch(noop)
    this.#socket.onopen = () => void this.#onOpen()
    this.#socket.onmessage = (event) => this.#onMessage(event.data)
    this.#socket.onclose = (event) => this.#onClose(event)
    this.#socket.onerror = noop // a close event follows; `ws` needs a listener here to not throw
    this.#handshakeTimer = setTimeout(() => {
      this.#fail(
        CLIENT_CLOSE.HANDSHAKE_TIMEOUT,
        new EncryptedSocketError(
          'ERR_HANDSHAKE_TIMEOUT',
          `No handshake within ${options.handshakeTimeout} ms (handshakeTimeout).`,
        ),
      )
    }, options.handshakeTimeout)
  }

  get disposed(): boolean {
    return this.#phase === 'disposed'
  }

  /** The session once the handshake established a key (null before, and for a keyless server). */
  get session(): Session | null {
    return this.#session
  }

  get tokenText(): string | undefined {
    return this.#tokenText
  }

  /** True while frames can be written. */
  get writable(): boolean {
    return !this.disposed && this.#socket.readyState === OPEN
  }

  /** Writes a frame (a control frame, or one sealed by `session`); nothing once disposed or closing. */
  write(frame: string): void {
    if (this.writable) this.#socket.send(frame)
  }

  /** The session's replay window is full: a new connection brings a new key instead of forgetting IVs. */
  rekey(): void {
    if (this.disposed) return
    this.#logger.info('[encrypted-socket] replay window full: re-keying')
    this.close(CLIENT_CLOSE.REKEY, 'Re-key')
    this.#host.ended({
      next: 'rekey',
      close: { code: CLIENT_CLOSE.REKEY, reason: 'Re-key', wasClean: false, error: null },
    })
  }

  /** Silences the connection: its socket's callbacks, its timers and its key are gone. Idempotent. */
  dispose(): void {
    if (this.disposed) return
    this.#phase = 'disposed'
    this.#session = null
    clearTimeout(this.#handshakeTimer)
    clearInterval(this.#heartbeatTimer)
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

  async #onOpen(): Promise<void> {
    if (this.disposed) return
    this.#phase = 'authenticating'
    this.#host.opened()
    let hello: string
    try {
      const token = await this.#token
      if (this.disposed) return
      this.#tokenText = token
      hello = await this.#handshake.hello(token)
    } catch (cause) {
      if (this.disposed) return
      if (cause instanceof EncryptedSocketError) {
        // No token at all: retrying cannot help.
        this.close(CLIENT_CLOSE.NORMAL, 'No token')
        return this.#host.ended({ next: 'give-up', error: cause })
      }
      const error = new EncryptedSocketError('ERR_TOKEN_UNAVAILABLE', 'getToken() failed; retrying.', {
        cause,
      })
      return this.#fail(CLIENT_CLOSE.TOKEN_UNAVAILABLE, error)
    }
    if (!this.disposed) this.write(hello)
  }

  #onMessage(data: unknown): void {
    if (this.disposed) return
    const frame = parseServerFrame(data)
    // Decryption starts on arrival, so a burst decrypts in parallel; delivery stays in order.
    const opening = frame.type === 'encrypted' ? this.#session?.open(frame) : undefined
    this.#frames = this.#frames
      .then(() => (this.disposed ? undefined : this.#handleFrame(frame, opening)))
      .catch((error: unknown) =>
        reportQuietly(this.#logger, '[encrypted-socket] a frame handler failed', error),
      )
  }

  async #handleFrame(frame: ServerFrame, opening: { finish(): Promise<Opened> } | undefined): Promise<void> {
    switch (frame.type) {
      case 'encrypted':
        return this.#handleEncrypted(frame, opening)
      case 'connected':
        return this.#handleConnected(frame)
      case 'plaintext':
        if (this.#session || this.#options.requireEncryption) {
          return this.#host.report(
            new EncryptedSocketError(
              'ERR_PLAINTEXT_REJECTED',
              `Dropped plaintext "${this.#host.scrub(frame.event)}": events must arrive encrypted.`,
            ),
          )
        }
        return this.#host.event(frame.event, frame.data)
      case 'malformed':
        if (frame.event === 'connected' && this.#phase === 'authenticating') {
          return this.#fail(
            CLIENT_CLOSE.PROTOCOL_VIOLATION,
            new EncryptedSocketError('ERR_PROTOCOL', `Bad connected frame: ${frame.reason}.`),
          )
        }
        return this.#host.report(
          new EncryptedSocketError('ERR_MALFORMED_FRAME', `Dropped a frame: ${frame.reason}.`),
        )
      case 'error': {
        // Once the key exists the server's word is encrypted; a plaintext error may be anyone's.
        if (this.#session) {
          return this.#host.report(
            new EncryptedSocketError(
              'ERR_UNAUTHENTICATED_FRAME',
              'Dropped a plaintext error frame: once encrypted, only encrypted frames are the server’s.',
            ),
          )
        }
        const code = frame.code === undefined ? '' : ` (${this.#host.scrub(String(frame.code))})`
        return this.#host.report(
          new EncryptedSocketError('ERR_SERVER', `Server error${code}: ${this.#host.scrub(frame.message)}`),
        )
      }
      case 'heartbeat':
        return
    }
  }

  async #handleConnected(frame: ConnectedFrame): Promise<void> {
    // Frames are handled one at a time, so once a `connected` was handled the phase has moved on
    // (authenticated, or the attempt failed): a second one always lands here.
    if (this.#phase !== 'authenticating') {
      return this.#host.report(new EncryptedSocketError('ERR_PROTOCOL', 'Dropped a second connected frame.'))
    }
    const result = await this.#handshake.finish(frame)
    if (this.disposed) return
    if (!result.ok) return this.#fail(result.closeCode, result.error)
    clearTimeout(this.#handshakeTimer)
    this.#session = result.session
    this.#phase = 'authenticated'
    const encrypted = result.session !== null
    this.#host.authenticated(this, { clientId: frame.id, userId: frame.userId, encrypted })
    // A listener may have called disconnect() or destroy() meanwhile.
    if (this.disposed || this.#options.heartbeatInterval <= 0) return
    this.#heartbeatTimer = setInterval(() => this.write(HEARTBEAT_FRAME), this.#options.heartbeatInterval)
  }

  async #handleEncrypted(
    frame: EncryptedFrame,
    opening: { finish(): Promise<Opened> } | undefined,
  ): Promise<void> {
    const session = this.#session
    if (!session) {
      return this.#host.report(
        new EncryptedSocketError('ERR_PROTOCOL', 'Dropped an encrypted frame before the key.'),
      )
    }
    const opened = await (opening ?? session.open(frame)).finish()
    if (this.disposed) return
    if (opened.type === 'dropped') {
      this.#host.report(opened.error)
      if (opened.keyRejected) {
        this.#fail(
          CLIENT_CLOSE.KEY_NOT_CONFIRMED,
          new EncryptedSocketError('ERR_DECRYPT', 'The session key is wrong; reconnecting with fresh keys.'),
        )
      }
      return
    }
    this.#host.event(opened.message.event, opened.message.data)
    if (session.full) this.rekey()
  }

  #onClose(event: { code: number; reason: string; wasClean: boolean }): void {
    if (this.disposed) return
    const { code } = event
    const reason = this.#host.scrub(event.reason ?? '')
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
    this.#host.ended({ next: 'decide', close: { code, reason, wasClean: event.wasClean, error } })
  }

  /** The client ends the attempt itself, for `error`: close with its own code, then retry or give up. */
  #fail(code: number, error: EncryptedSocketError): void {
    if (this.disposed) return
    this.close(code, error.code)
    this.#host.ended({ next: 'decide', close: { code, reason: error.code, wasClean: false, error } })
  }
}

function closeQuietly(socket: WebSocketLike, code: number, reason: string): void {
  try {
    socket.close(code, reason)
  } catch {
    // Already closed, or an implementation that refuses the code: nothing left to release.
  }
}

/** Logs an internal failure; a throwing logger must not break the frame chain that called it. */
function reportQuietly(logger: Logger, message: string, error: unknown): void {
  try {
    logger.error(message, error)
  } catch {
    // Nothing left to tell.
  }
}
