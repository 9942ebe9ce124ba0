import type { ServerIdentity } from './client/pinServer'
import type { EncryptedSocketError } from './errors'

/**
 * The connection's state. `connected` is declared for compatibility with the original client and
 * never entered: the socket goes from `connecting` to `authenticating` when it opens.
 */
export type ConnectionState =
  'disconnected' | 'connecting' | 'connected' | 'authenticating' | 'authenticated' | 'reconnecting'

/**
 * Application events and their payloads, e.g. `{ 'order.created': Order; 'chat.message': Chat }`.
 * Any interface or type works; the default accepts every event name with `unknown` data.
 */
export type EventMap = object

/** The default event map: any event name, payloads of unknown type. */
export type UnknownEvents = Record<string, unknown>

/** The application event names of an event map. */
export type EventName<Events extends EventMap> = keyof Events & string

/** One decrypted application event, as `onTraffic` sees it. */
export interface TrafficEntry {
  direction: 'sent' | 'received'
  event: string
  /** The payload as it crossed the wire: JSON-parsed, or the bytes of a binary payload. */
  data: unknown
  /** `Date.now()` when it went out or arrived. */
  at: number
}

/** `(message, ...args)` logging, like `console`. The client never passes it a token or key. */
export interface Logger {
  info(message: string, ...args: unknown[]): void
  warn(message: string, ...args: unknown[]): void
  error(message: string, ...args: unknown[]): void
  debug(message: string, ...args: unknown[]): void
}

/** How a connection ended, as `reconnect.shouldReconnect` sees it. */
export interface CloseInfo {
  /** The WebSocket close code (1006 when the connection dropped without one). */
  code: number
  reason: string
  wasClean: boolean
  /** Why the client considers the attempt failed, when it knows. */
  error: EncryptedSocketError | null
  /** How many reconnection attempts were already made since the last authentication. */
  retryCount: number
}

// A method-style signature keeps handler parameters bivariant, so the DOM's WebSocket, `ws` and
// mock-socket all fit without casts.
type Handler<Event> = { bivarianceHack(event: Event): void }['bivarianceHack']

/** The part of the WebSocket API the client uses (the DOM's, `ws`'s and mock-socket's all fit). */
export interface WebSocketLike {
  readonly readyState: number
  onopen: Handler<unknown> | null
  onmessage: Handler<{ data: unknown }> | null
  onclose: Handler<{ code: number; reason: string; wasClean: boolean }> | null
  onerror: Handler<unknown> | null
  /** The subprotocol the server selected ('' for none). */
  readonly protocol?: string
  /** Set to 'arraybuffer' so that binary records arrive as bytes, not Blobs. */
  binaryType?: string
  send(data: string | Uint8Array<ArrayBuffer>): void
  close(code?: number, reason?: string): void
}

/** A WebSocket constructor: `globalThis.WebSocket`, `ws`'s `WebSocket`, or a mock. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike

export interface ReconnectOptions {
  /** Reconnect after an unexpected close. @default true */
  enabled?: boolean
  /** Attempts after a connection is lost before giving up (`Infinity` for no limit). @default 5 */
  maxRetries?: number
  /** Delay before the first attempt, in ms. @default 3000 */
  interval?: number
  /** Each attempt's delay is the previous one's times this. @default 1.5 */
  backoffMultiplier?: number
  /** The longest delay, in ms. @default 30000 */
  maxInterval?: number
  /**
   * `'full'`: wait a random time between 0 and the backoff delay, so that clients dropped together
   * (a deploy) do not come back together. `'none'`: wait exactly the delay. @default 'full'
   */
  jitter?: 'full' | 'none'
  /**
   * Decides whether a close is retried. The default refuses 1008, 4401, 4403 (rejected), 1009
   * (too big), 4006 (protocol version) and 4009 (superseded), and retries everything else.
   * @default defaultShouldReconnect
   */
  shouldReconnect?: (close: CloseInfo) => boolean
}

export interface ClientOptions {
  /** The server's URL, `wss://…` (or `ws://` to a loopback host). */
  url: string
  /** The HKDF `info` string; must be identical on client and server. */
  ecdhInfo: string
  /** The JWT sent as `Bearer` in the handshake. Change it with `updateToken()`. */
  token?: string
  /** Called before every connection attempt for a fresh token; wins over `token`. */
  getToken?: () => string | Promise<string>
  /** Reconnection policy. @default { enabled: true, maxRetries: 5, interval: 3000, backoffMultiplier: 1.5, maxInterval: 30000, jitter: 'full' } */
  reconnect?: ReconnectOptions
  /**
   * v1: the interval of `heartbeat` frames while authenticated, in ms (0 turns them off); servers
   * drop a client silent for 90 s. v1 cannot notice a dead connection: the server never answers.
   * v2: the ping interval when the server's `ready` names none (it usually does). @default 30000
   */
  heartbeatInterval?: number
  /** Rooms joined after every authentication, as if `joinRooms()` had been called. @default [] */
  autoJoinRooms?: readonly string[]
  /**
   * Where the client logs; yours receives every level (`debug`: state changes, `info`, `warn`,
   * `error`). @default a console logger that prints only `warn` and `error` (see `debug`)
   */
  logger?: Logger
  /**
   * Prints the default logger's `debug` and `info` lines too. In a browser,
   * `localStorage.setItem('encrypted-socket:debug', '1')` does the same; `setDebug()` switches it
   * at run time. No effect on your own `logger`. @default false
   */
  debug?: boolean
  /**
   * A tap on the decrypted traffic, for a DevTools-style inspector of your own: every application
   * event the client wrote (after it went out) and every one it decrypted (before your handlers).
   * Nothing else ever shows decrypted payloads; the handshake and the token never pass here. Errors
   * it throws are logged and ignored. Leave it unset in production unless you mean it.
   */
  onTraffic?: (entry: TrafficEntry) => void
  /** The WebSocket implementation; pass `ws`'s in Node 20. @default globalThis.WebSocket */
  WebSocket?: WebSocketConstructor
  /** Your own WebSocket subprotocols, offered before encrypted-socket's. */
  protocols?: string | string[]
  /**
   * The wire protocol. `'auto'`: v2 with a server that selects it at the upgrade, v1 otherwise
   * (no extra round trip). `'v2'`: v2 only (a v1 server fails with `ERR_PROTOCOL_VERSION`).
   * `'v1'`: exactly the original client. With `serverIdentity`, `'auto'` means `'v2'`: v1 would
   * send the token in clear before the pin could refuse anyone. @default 'auto'
   */
  protocol?: 'auto' | 'v1' | 'v2'
  /**
   * Protocol v2: after a ping, the time within which something must arrive from the server, in
   * ms; otherwise the connection is dead (close 4007) and is replaced at once. @default 10000
   */
  pongTimeout?: number
  /** Time from creating the socket to the end of the handshake (v1 `connected`, v2 `ready`), in ms. @default 10000 */
  handshakeTimeout?: number
  /**
   * Refuse plaintext: application events that arrive unencrypted are dropped, and a `connected`
   * without keys fails the attempt. @default true
   */
  requireEncryption?: boolean
  /** Sends made before the session key exists wait here, in order. @default { maxSize: 1000 } */
  outbox?: {
    maxSize?: number
    /**
     * How long a send may wait (for the connection, or to go out again after a reconnect)
     * before it is refused with `ERR_SEND_EXPIRED` instead of written: a minutes-old order does
     * not go out by surprise. `Infinity` waits for ever. Per send: `send(…, { maxAge })`.
     * @default 60000
     */
    maxAge?: number
  }
  /** Allow `ws://` to a host that is not loopback (the token would cross the network in clear). @default false */
  allowInsecureTransport?: boolean
  /**
   * Server authentication (opt-in): `pinServerKey(key)` or `pinServerFingerprint(hex)`. The client
   * then refuses a `connected` that is not signed by that identity (`ERR_SERVER_AUTH`).
   */
  serverIdentity?: ServerIdentity
  /**
   * IVs remembered per session key to reject replayed and reflected frames. When full, the client
   * re-keys by reconnecting. @default 65536
   */
  maxTrackedIvs?: number
}

/** Everything the adapters read, frozen; a new object only when a field changed. */
export interface ClientSnapshot {
  readonly state: ConnectionState
  /** The id the server gave this connection, while authenticated. */
  readonly clientId: string | null
  /** The user the server authenticated, while authenticated. */
  readonly userId: string | null
  /** True while a session key exists. */
  readonly encrypted: boolean
  /** The wire protocol of the authenticated connection (null while there is none). */
  readonly protocol: 'v1' | 'v2' | null
  /**
   * v2: the connection resumed the previous one's session, so nothing was lost or doubled in
   * between. False on a new session (then a `gap` notification followed if one existed) and on v1.
   */
  readonly resumed: boolean
  /** Reconnection attempts since the last authentication. */
  readonly retryCount: number
  /** When the next attempt starts (ms since the epoch), while waiting to reconnect. */
  readonly nextRetryAt: number | null
  /** The last failure: why the client disconnected, or the last dropped frame. */
  readonly lastError: EncryptedSocketError | null
  /** The rooms the application is in (re-joined after every reconnect), sorted. */
  readonly rooms: readonly string[]
  /**
   * The rooms of `rooms` the server has let this connection into, sorted: v2 once it answered
   * `joined` (or held the room for a resumed session), never before; v1, which confirms nothing,
   * every room not refused once authenticated.
   */
  readonly joinedRooms: readonly string[]
  /**
   * The rooms of `rooms` the server refused, with its reason. A refused room is not asked for
   * again after a reconnect, only when it is joined anew (released and held again, or `joinRooms`).
   */
  readonly deniedRooms: Readonly<Record<string, RoomDenial>>
}

/** Why the server refused a room (its `authorizeJoin`): a stable `code` (e.g. `FORBIDDEN`) and a message for people. */
export interface RoomDenial {
  readonly code: string
  readonly message: string
}

/** Lifecycle notifications: a channel of their own that no network frame can reach. */
export interface LifecycleEvents {
  /** The state changed. */
  state: { state: ConnectionState; previous: ConnectionState }
  /** Authenticated, with a fresh session key. */
  authenticated: { clientId: string; userId: string; encrypted: boolean; protocol: 'v1' | 'v2' }
  /** A failure was reported: a dropped frame, a server `error` frame, a lost connection. */
  error: EncryptedSocketError
  /** A reconnection attempt was scheduled. */
  reconnecting: { attempt: number; delay: number }
  /** Reconnection gave up (the original client's `reconnect_failed`). */
  reconnect_failed: { retries: number }
  /**
   * v2: messages were lost: the session could not be resumed (`scope: 'session'`: what was sent
   * to this client meanwhile is unknown), or a room's history no longer holds what was missed
   * (`scope: 'room'`). Re-fetch the state you show from that stream.
   */
  gap: { scope: 'session' } | { scope: 'room'; room: string }
  /** The server refused a room the application holds (see `deniedRooms`). */
  denied: { room: string; denial: RoomDenial }
}

/** Options of a single `send()` or `request()`. */
export interface SendOptions {
  /** Wait in the outbox while not yet authenticated. With `false`, reject at once instead. @default true */
  queue?: boolean
  /**
   * Give up after this many ms without the server's acknowledgement (v2; a request: its answer):
   * `ERR_SEND_TIMEOUT` / `ERR_REQUEST_TIMEOUT`. One that had not gone out is withdrawn; one that
   * had may still be processed (`error.sent`). @default none (a request: 30000)
   */
  timeout?: number
  /** Gives up like `timeout` when aborted (`ERR_ABORTED`). */
  signal?: AbortSignal
  /** Not written any more once it waited this long since `send()` (`ERR_SEND_EXPIRED`). @default `outbox.maxAge` */
  maxAge?: number
}
