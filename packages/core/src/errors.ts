/**
 * Stable codes for every failure a user can see. Match on `error.code`, never on the message:
 * messages may be reworded, codes never change.
 */
export type ErrorCode =
  /** The server refused the credentials (close 1008, 4401 or 4403). */
  | 'ERR_REJECTED'
  /** The handshake (v1: `connected`; v2: `ready`) did not complete within `handshakeTimeout`. */
  | 'ERR_HANDSHAKE_TIMEOUT'
  /** `send()` or a room call while disconnected. */
  | 'ERR_NOT_CONNECTED'
  /** The outbox of sends waiting for the handshake is full. */
  | 'ERR_OUTBOX_FULL'
  /** The client was destroyed. */
  | 'ERR_DESTROYED'
  /** A plain `ws://` URL to a host that is not loopback, without `allowInsecureTransport`. */
  | 'ERR_INSECURE_TRANSPORT'
  /** An encrypted frame failed authentication (tampered, wrong key). */
  | 'ERR_DECRYPT'
  /** An encrypted frame reused an IV seen under the current key (replayed or reflected). */
  | 'ERR_REPLAY'
  /** A plaintext application event arrived while encryption is required. */
  | 'ERR_PLAINTEXT_REJECTED'
  /** A frame that is not valid protocol v1 JSON. */
  | 'ERR_MALFORMED_FRAME'
  /** A peer public key that is not a 65-byte uncompressed P-256 point on the curve. */
  | 'ERR_INVALID_PUBLIC_KEY'
  /** The server broke the protocol (a second `connected`, a `connected` without keys, …). */
  | 'ERR_PROTOCOL'
  /** An option has the wrong type or value. */
  | 'ERR_INVALID_OPTION'
  /** An application event name that is reserved for the protocol's control events. */
  | 'ERR_RESERVED_EVENT'
  /** An application payload that cannot be serialised to JSON. */
  | 'ERR_INVALID_PAYLOAD'
  /** Reconnection gave up after `reconnect.maxRetries` attempts. */
  | 'ERR_RETRIES_EXHAUSTED'
  /** The connection closed for a reason that is not retried (1009, `shouldReconnect` said no). */
  | 'ERR_CONNECTION_CLOSED'
  /** No WebSocket implementation was found or passed in. */
  | 'ERR_NO_WEBSOCKET'
  /** A method was called with an argument of the wrong type or value. */
  | 'ERR_INVALID_ARGUMENT'
  /** There is no token to authenticate with, or `getToken()` failed. */
  | 'ERR_TOKEN_UNAVAILABLE'
  /** The server sent an `error` frame (before the key existed: after it, see ERR_UNAUTHENTICATED_FRAME). */
  | 'ERR_SERVER'
  /** A plaintext `error` frame after encryption was established: not provably the server's, its text is not shown. */
  | 'ERR_UNAUTHENTICATED_FRAME'
  /** Web Crypto is missing (browsers provide it only on https:// or localhost). */
  | 'ERR_NO_CRYPTO'
  /** The server does not speak protocol v2 and the client requires it (`protocol: 'v2'`, or a pinned `serverIdentity`). */
  | 'ERR_PROTOCOL_VERSION'
  /** Client and server derive different keys: their `ecdhInfo` differ. Not retried: it will not fix itself. */
  | 'ERR_KEY_MISMATCH'
  /** Protocol v2: nothing arrived within `pongTimeout` after a ping; the connection was dead and is replaced. */
  | 'ERR_PONG_TIMEOUT'
  /** Protocol v2: the server refused to let this client join a room (`denied`). */
  | 'ERR_ROOM_DENIED'
  /** The socket never opened: no server at the address, a wrong host, port or path, or the network is down. Retried. */
  | 'ERR_UNREACHABLE'
  /** TLS failed: `wss://` to a server without TLS, an untrusted certificate, or `ws://` from an https:// page. Not retried. */
  | 'ERR_TLS'
  /** The server does not allow this page's `Origin` (close 4430). Not retried. */
  | 'ERR_ORIGIN_REFUSED'
  /** v2: a `send()` was not acknowledged within its `timeout`. */
  | 'ERR_SEND_TIMEOUT'
  /** v2: a `request()` was not answered within its `timeout`. */
  | 'ERR_REQUEST_TIMEOUT'
  /** v2: the server answered a `request()` with an error; its own code is `serverCode`. */
  | 'ERR_REQUEST_FAILED'
  /** A `send()` or `request()` whose `signal` was aborted. */
  | 'ERR_ABORTED'
  /** A send waited longer than its `maxAge` (`outbox.maxAge`) and was not written. */
  | 'ERR_SEND_EXPIRED'
  /** `serverIdentity` is set and the server's handshake signature is missing or wrong (or, v2, its `validUntil` is far from the device clock). */
  | 'ERR_SERVER_AUTH'

export interface EncryptedSocketErrorOptions {
  /** The lower-level error that caused this one. */
  cause?: unknown
  /** The WebSocket close code, when the error comes from a close. */
  closeCode?: number
  /** `ERR_REQUEST_FAILED`: the code the server's handler gave. */
  serverCode?: string
  /** A send or request given up by its caller: whether it had gone out (then it may still be processed). */
  sent?: boolean
}

/** Marks every EncryptedSocketError, whichever copy of this module made it (see below). */
const BRAND = Symbol.for('encrypted-socket.error')

/**
 * The one error class of encrypted-socket. `code` is stable; `message` says what happened and
 * what to do. No message ever contains a token or key material.
 */
export class EncryptedSocketError extends Error {
  /**
   * `instanceof` holds for an error made by another copy of this class: CommonJS has one per entry
   * point (`@encrypted-socket/core` and `/v2`), and an app may hold two versions of the package.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return (value as { [BRAND]?: unknown } | null)?.[BRAND] === true
  }

  override readonly name = 'EncryptedSocketError'
  readonly code: ErrorCode
  readonly closeCode: number | undefined
  readonly serverCode: string | undefined
  readonly sent: boolean | undefined

  constructor(code: ErrorCode, message: string, options: EncryptedSocketErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.closeCode = options.closeCode
    this.serverCode = options.serverCode
    this.sent = options.sent
    Object.defineProperty(this, BRAND, { value: true })
  }
}

/** True when `error` is an {@link EncryptedSocketError}, optionally with the given code. */
export function isEncryptedSocketError(error: unknown, code?: ErrorCode): error is EncryptedSocketError {
  return error instanceof EncryptedSocketError && (code === undefined || error.code === code)
}

/** Server authentication failed (`serverIdentity`): the handshake is not signed by the pinned key. */
export function serverAuthError(reason: string, cause?: unknown): EncryptedSocketError {
  return new EncryptedSocketError(
    'ERR_SERVER_AUTH',
    `Server authentication failed: ${reason}. Something between you and the server may be impersonating it; check the pinned serverIdentity.`,
    cause === undefined ? {} : { cause },
  )
}

/** Client and server derive different keys (`ecdhInfo` differs): given up, not retried. */
export function keyMismatch(what: string): EncryptedSocketError {
  return new EncryptedSocketError(
    'ERR_KEY_MISMATCH',
    `Client and server derive different keys (${what}): set the client's ecdhInfo to exactly the server's. Not retried.`,
  )
}
