import { DEFAULT_RESUME_MAX_BYTES } from './delivery/session'
import type { IncomingMessage } from 'node:http'
import { availableParallelism } from 'node:os'
import type { EphemeralKeys } from '@encrypted-socket/core'
import { createHs256Verification, type VerifyToken } from './auth'
import { jwksFromServerOptions, type JwksAlgorithm } from './jwks'
import { createHandshakeSigner, type HandshakeSigner } from './crypto/handshakeSigner'
import type { EventHandler } from './eventContext'
import type { AuthorizeJoin } from './roomAuthorization'
import { demoAuthorizeJoin } from './demo'
import { createJsonLogger, type ServerLogger } from './logger'
import type { ServerIdentity } from './identity'
import type { RedisOptions } from './redisFanout'
import { safeHook, safeLogger } from './safeHooks'

export interface ServerOptions {
  /** The HKDF info string, identical to the clients' `ecdhInfo`. */
  ecdhInfo: string
  /** Secret for HS256 JWTs (the `sub` claim is the user id). Either this or `verifyToken`. */
  jwtSecret?: string
  /** Required `iss` claim of HS256 tokens; with `jwks`, required. */
  jwtIssuer?: string
  /** Required `aud` claim of HS256 tokens; with `jwks`, required. */
  jwtAudience?: string
  /**
   * Accept HS256 tokens without an `exp` claim (long-lived service tokens). Such a token, once
   * leaked, works forever: prefer short-lived tokens. @default false
   */
  allowTokensWithoutExpiry?: boolean
  /**
   * Tokens from an identity provider: the URL of its JSON Web Key Set (e.g.
   * `'https://id.example.com/.well-known/jwks.json'`; http only to a loopback host), fetched on
   * first use, cached, and fetched again for an unknown `kid`. Needs `jwtIssuer` and
   * `jwtAudience`; not with `jwtSecret`. A key set that cannot be fetched closes clients with 1013
   * (they retry), not as a refused token.
   */
  jwks?: string | URL
  /** With `jwks`: the accepted algorithms (asymmetric only). @default ['RS256', 'ES256', 'EdDSA'] */
  jwtAlgorithms?: readonly JwksAlgorithm[]
  /** With `jwks`: how long fetched keys are used before the set is fetched again, in ms. @default 600000 (jose's) */
  jwksCacheMaxAge?: number
  /** With `jwks`: after a fetch, how long an unknown `kid` is refused without fetching again, in ms. @default 30000 (jose's) */
  jwksCooldown?: number
  /** With `jwks`: time allowed for one fetch of the key set, in ms. @default 5000 (jose's) */
  jwksTimeout?: number
  /** Your own verification: return the user id, or throw to refuse. Wins over `jwtSecret` and `jwks`. */
  verifyToken?: VerifyToken
  /** @default 8787 (0 picks a free port) */
  port?: number
  /** The interface to listen on. @default '127.0.0.1' */
  host?: string
  /**
   * Allowed `Origin` headers of browser clients; `'*'` allows any. Without the option, only
   * loopback origins (`http://localhost:*`, `http://127.0.0.1:*`, `http://[::1]:*`) are accepted.
   * Others have their upgrade accepted only to be closed at once with 4430 (nothing sent, nothing
   * processed). Clients that send no Origin are not browsers and are accepted.
   */
  origins?: readonly string[]
  /** Called with every decrypted application event; under v2 binary data arrives as a Buffer. */
  onEvent?: EventHandler
  /**
   * Who may join which room, asked before every join (v1 and v2) and again for each room of a
   * resumed v2 session: `true` lets the connection in, `false` refuses (`FORBIDDEN`), a
   * `{ code, message }` refuses with that reason; a hook that throws refuses (`JOIN_FAILED`).
   * Refused: v2 `denied`, v1 an `error` frame `JOIN_DENIED` naming the room. Without it, every
   * authenticated user may join every room (the server warns at startup); with `demo`, the
   * demo's rule (`<user>-private` rooms are that user's alone).
   */
  authorizeJoin?: AuthorizeJoin
  /** Built-in demo handlers: `echo` → `echo.reply`, `chat.send` → `chat.message` to the room. @default false */
  demo?: boolean
  /** Largest frame accepted once authenticated, in bytes; larger ones close the connection with 1009. @default 2 MiB (fits 1 MiB payloads) */
  maxPayload?: number
  /**
   * Largest frame before authentication (v1: the one `authenticate` frame; v2: the `hello` and
   * record #0), in bytes; a larger one closes the connection with 1009 before it is read. @default 16 KiB
   */
  maxHandshakePayload?: number
  /** v1: largest authenticated frame other than `encrypted` (joins, leaves, heartbeats), in bytes. @default 64 KiB */
  maxControlPayload?: number
  /**
   * Deepest nesting of arrays and objects in a decrypted message's data, checked before it is
   * parsed: v1 drops a deeper one; v2 answers an `error` record `BAD_MESSAGE` and closes with 1009
   * (a record cannot be dropped). @default 32
   */
  maxDepth?: number
  /**
   * Time from the socket opening to a valid `authenticate` (v1) or record #0 (v2), in ms; then
   * close 4408 and cut the socket. @default 10000
   */
  authTimeout?: number
  /** Time for a client to send its HTTP upgrade request's headers, in ms (slowloris). @default 10000 */
  headersTimeout?: number
  /** A v1 client (or one not yet authenticated) that sends nothing (not even a heartbeat) for this long is dropped, in ms. @default 90000 */
  idleTimeout?: number
  /**
   * Messages per second per connection, and the burst allowed. v1 drops the rest; v2 holds them
   * back (within `incomingQueue`) until the budget refills. @default { perSecond: 100, burst: 200 }
   */
  rateLimit?: { perSecond: number; burst: number }
  /** Bytes per second per connection, and the burst (at least `maxPayload`), next to `rateLimit` and handled the same way. @default { perSecond: 4 MiB, burst: max(16 MiB, maxPayload) } */
  byteRateLimit?: { perSecond: number; burst: number }
  /**
   * Frames and bytes waiting for handlers per connection; while either is reached the socket is
   * paused (TCP pushes back on the client). What they hold is memory the server keeps per
   * connection: keep it small. @default { frames: 64, bytes: 1 MiB }
   */
  incomingQueue?: { frames: number; bytes: number }
  /**
   * Bytes waiting to be written to one client above which frames to it are dropped (and
   * counted); a client still behind after `slowConsumerTimeout` is closed with 1013. @default 4 MiB
   */
  sendHighWaterMark?: number
  /** How long a client may stay above `sendHighWaterMark`, in ms. @default 10000 */
  slowConsumerTimeout?: number
  /** Open connections in total; more upgrades are refused with 503. @default 10000 */
  maxConnections?: number
  /** Open connections per client address (an office behind one NAT shares one); more are refused with 429. @default 1000 */
  maxConnectionsPerAddress?: number
  /** Authenticated connections per user; more are closed with 1013. @default 32 */
  maxConnectionsPerUser?: number
  /** New connections per client address (token bucket); more are refused with 429. @default { perSecond: 20, burst: 100 } */
  handshakeRate?: { perSecond: number; burst: number }
  /**
   * The client's address for the per-address limits. @default the socket's remote address. Behind
   * a proxy every client has the proxy's address: return the address the proxy forwards (e.g. the
   * last entry of `X-Forwarded-For` written by your own proxy), never one the client can choose.
   */
  clientAddress?: (request: IncomingMessage) => string | undefined
  /** v1: IVs received per connection, remembered against replays (the server's own IVs are a counter); when full the connection is closed (4003) to re-key. @default 65536 */
  maxTrackedIvs?: number
  /**
   * Sees every frame as it crosses the wire, both ways: what a proxy in front of the server would
   * see (for demos and debugging). v1 frames and the v2 `welcome` and `hello` are text; a v2
   * record is `text: '[binary record, N bytes]'` with a copy of its bytes in `binary`.
   */
  onFrame?: (frame: WireFrame) => void
  /**
   * Refuse protocol v1: an upgrade that does not offer the `encrypted-socket.v2` subprotocol gets
   * HTTP 426 and no WebSocket (v1 sends the token in clear inside the TLS tunnel). @default false
   */
  requireV2?: boolean
  /**
   * v2: the ping interval the server asks of clients (`ready.heartbeat`), in ms; a v2 client from
   * which no record arrived for 3 × `heartbeat` is closed with 4007. (v1 uses `idleTimeout`.)
   * @default 20000
   */
  heartbeat?: number
  /**
   * Scale out: rooms, users and broadcasts reach the connections of every instance sharing this
   * Redis (`'redis://127.0.0.1:6379'` or `{ url, keyPrefix, secret }`). Without it the server is
   * a single instance and needs no Redis.
   */
  redis?: string | RedisOptions
  /** Structured logs. @default JSON lines from level info */
  logger?: ServerLogger
  /**
   * Server authentication (opt-in): every v1 `connected` and v2 `welcome` carries this identity's
   * public key and a signature over the handshake; clients that pin the key (`serverIdentity:
   * pinServerKey(…)` or `pinServerFingerprint(…)`) refuse anyone else. Load it with `loadServerIdentity(pem)`.
   */
  identity?: ServerIdentity
  /** For test vectors only: the server's key pair per connection. @default fresh ephemeral keys */
  createKeys?: () => Promise<EphemeralKeys>
  /** For test vectors only: the salt per connection. @default 32 random bytes */
  createSalt?: () => Uint8Array<ArrayBuffer>
  /**
   * v2: how long a session waits for a resume after its connection ended, in ms: its
   * unacknowledged session-stream messages, the last client seq processed and its rooms are kept
   * that long, and so are the idempotency keys its connection processed (0: no resume). @default 120000
   */
  resumeWindow?: number
  /**
   * v2: unacknowledged session-stream messages kept per session; beyond, the oldest is dropped and
   * a resume from before it is refused (`resumed: false`). @default 1000
   */
  resumeMaxMessages?: number
  /**
   * v2: bytes of unacknowledged session-stream messages kept per session, as `resumeMaxMessages`
   * (the oldest dropped beyond): a client that does not read cannot make the server hold
   * `resumeMaxMessages` × `maxPayload`. @default 8388608 (8 MiB)
   */
  resumeMaxBytes?: number
  /**
   * v2: idempotency keys remembered per user (the oldest dropped first); a repeated key is
   * acknowledged, or answered with the original `res`, without calling the handler again. @default 1000
   */
  idempotencyKeysPerUser?: number
  /**
   * v2: each room's history, from which a `join` with `since` and a resume send what a client
   * missed: the last `count` messages no older than `maxAge` ms (either 0: no history).
   * @default { count: 100, maxAge: 300000 }
   */
  roomHistory?: { count?: number; maxAge?: number }
  /**
   * For tests only: the server's clock in ms: the v2 welcome's `validUntil`, `ready.time`, resume
   * windows, idempotency keys and room history ages. @default Date.now
   */
  now?: () => number
  /** For tests only: the number of the first v2 record in each direction (to reach the 2^32 limit). @default 0 */
  initialRecordCounter?: number
  /**
   * Worker threads that seal fan-out (`sendToRoom`, `broadcast`, room messages from Redis), 0 to
   * 64: each holds the keys of a share of the connections, from ready to close, and runs the
   * cipher; the main thread still decides every frame's IV or record number and its order, and
   * seals direct sends. A worker that dies is replaced, and what it had not sealed is sealed on
   * the main thread (docs/scaling.md). Worth it with a core to spare per worker. @default 0 (fan-out sealed on the main thread)
   */
  workers?: number
}

/** One frame as a proxy sees it (`onFrame`). */
export interface WireFrame {
  connectionId: string
  direction: 'in' | 'out'
  /** The frame's text, or `[binary record, N bytes]` for a v2 record. */
  text: string
  /** A v2 record's bytes (a copy). */
  binary?: Uint8Array
}

export type ResolvedServerOptions = Required<
  Pick<
    ServerOptions,
    | 'ecdhInfo'
    | 'port'
    | 'host'
    | 'demo'
    | 'maxPayload'
    | 'maxHandshakePayload'
    | 'maxControlPayload'
    | 'maxDepth'
    | 'authTimeout'
    | 'headersTimeout'
    | 'idleTimeout'
    | 'rateLimit'
    | 'byteRateLimit'
    | 'incomingQueue'
    | 'sendHighWaterMark'
    | 'slowConsumerTimeout'
    | 'maxConnections'
    | 'maxConnectionsPerAddress'
    | 'maxConnectionsPerUser'
    | 'handshakeRate'
    | 'maxTrackedIvs'
    | 'logger'
    | 'requireV2'
    | 'heartbeat'
    | 'now'
    | 'initialRecordCounter'
    | 'resumeWindow'
    | 'resumeMaxMessages'
    | 'resumeMaxBytes'
    | 'idempotencyKeysPerUser'
    | 'workers'
  >
> & {
  roomHistory: { count: number; maxAge: number }
  clientAddress: (request: IncomingMessage) => string | undefined
  verifyToken: VerifyToken
  origins: readonly string[] | null
  onEvent: EventHandler | undefined
  authorizeJoin: AuthorizeJoin | undefined
  onFrame: ServerOptions['onFrame']
  redis: RedisOptions | null
  identity: HandshakeSigner | null
  createKeys: (() => Promise<EphemeralKeys>) | undefined
  createSalt: () => Uint8Array<ArrayBuffer>
}

const KiB = 1024
const MiB = 1024 * KiB

export function resolveServerOptions(options: ServerOptions): ResolvedServerOptions {
  if (typeof options.ecdhInfo !== 'string' || options.ecdhInfo.length === 0) {
    throw new TypeError(
      'encrypted-socket server: `ecdhInfo` must be a non-empty string, the same as the clients’.',
    )
  }
  const host = options.host ?? '127.0.0.1'
  if (options.jwtSecret !== undefined && !options.verifyToken) checkSecret(options.jwtSecret, host)
  const verifyToken =
    options.verifyToken ??
    (options.jwks !== undefined ? jwksFromServerOptions(options) : undefined) ??
    (options.jwtSecret
      ? createHs256Verification({
          secret: options.jwtSecret,
          issuer: options.jwtIssuer,
          audience: options.jwtAudience,
          requireExpiry: !options.allowTokensWithoutExpiry,
        })
      : undefined)
  if (!verifyToken) {
    throw new TypeError(
      'encrypted-socket server: pass `jwtSecret` (HS256), `jwks` (an identity provider’s key set) or `verifyToken(token)` to authenticate clients.',
    )
  }
  const redis = typeof options.redis === 'string' ? { url: options.redis } : (options.redis ?? null)
  if (redis) checkRedis(redis)
  const logger = safeLogger(options.logger ?? createJsonLogger('info'))
  const maxPayload = options.maxPayload ?? 2 * MiB
  const byteRateLimit = options.byteRateLimit ?? { perSecond: 4 * MiB, burst: Math.max(16 * MiB, maxPayload) }
  if (byteRateLimit.burst < maxPayload) {
    throw new TypeError(
      `encrypted-socket server: \`byteRateLimit.burst\` (${byteRateLimit.burst}) is below \`maxPayload\` (${maxPayload}): frames between the two could never pass. Raise the burst or lower maxPayload.`,
    )
  }
  const heartbeat = options.heartbeat ?? 20_000
  if (!Number.isSafeInteger(heartbeat) || heartbeat <= 0) {
    throw new TypeError(
      `encrypted-socket server: \`heartbeat\` must be a positive number of ms; got ${heartbeat}.`,
    )
  }
  return {
    ecdhInfo: options.ecdhInfo,
    verifyToken,
    port: options.port ?? 8787,
    host,
    origins: options.origins ?? null,
    onEvent: options.onEvent,
    authorizeJoin: options.authorizeJoin ?? (options.demo ? demoAuthorizeJoin : undefined),
    onFrame: safeHook('onFrame', options.onFrame, logger),
    identity: options.identity ? createHandshakeSigner(options.identity) : null,
    redis,
    demo: options.demo ?? false,
    maxPayload,
    maxHandshakePayload: Math.min(maxPayload, options.maxHandshakePayload ?? 16 * KiB),
    maxControlPayload: options.maxControlPayload ?? 64 * KiB,
    maxDepth: options.maxDepth ?? 32,
    authTimeout: options.authTimeout ?? 10_000,
    headersTimeout: options.headersTimeout ?? 10_000,
    idleTimeout: options.idleTimeout ?? 90_000,
    rateLimit: options.rateLimit ?? { perSecond: 100, burst: 200 },
    byteRateLimit,
    incomingQueue: options.incomingQueue ?? { frames: 64, bytes: 1 * MiB },
    sendHighWaterMark: options.sendHighWaterMark ?? 4 * MiB,
    slowConsumerTimeout: options.slowConsumerTimeout ?? 10_000,
    maxConnections: options.maxConnections ?? 10_000,
    maxConnectionsPerAddress: options.maxConnectionsPerAddress ?? 1000,
    maxConnectionsPerUser: options.maxConnectionsPerUser ?? 32,
    handshakeRate: options.handshakeRate ?? { perSecond: 20, burst: 100 },
    clientAddress: options.clientAddress ?? ((request) => request.socket.remoteAddress),
    maxTrackedIvs: options.maxTrackedIvs ?? 65_536,
    logger,
    createKeys: options.createKeys,
    createSalt: options.createSalt ?? (() => crypto.getRandomValues(new Uint8Array(32))),
    requireV2: options.requireV2 ?? false,
    heartbeat,
    now: options.now ?? Date.now,
    initialRecordCounter: options.initialRecordCounter ?? 0,
    resumeWindow: wholeNumber('resumeWindow', options.resumeWindow, 120_000),
    resumeMaxMessages: wholeNumber('resumeMaxMessages', options.resumeMaxMessages, 1000),
    resumeMaxBytes: wholeNumber('resumeMaxBytes', options.resumeMaxBytes, DEFAULT_RESUME_MAX_BYTES),
    idempotencyKeysPerUser: wholeNumber('idempotencyKeysPerUser', options.idempotencyKeysPerUser, 1000),
    workers: workerCount(options.workers),
    roomHistory: {
      count: wholeNumber('roomHistory.count', options.roomHistory?.count, 100),
      maxAge: wholeNumber('roomHistory.maxAge', options.roomHistory?.maxAge, 300_000),
    },
  }
}

/** What the server warns about when it starts: settings that are legal but easy to regret. */
export function startupWarnings(options: ResolvedServerOptions): string[] {
  const warnings: string[] = []
  if (!options.authorizeJoin) {
    warnings.push(
      'no authorizeJoin: every authenticated user may join every room and read what is sent to it; pass authorizeJoin(request, room) to decide who may.',
    )
  }
  if (options.origins?.includes('*')) {
    warnings.push(
      "origins '*': any web page can open connections with its visitors' tokens; list your app's origins instead.",
    )
  }
  const cores = availableParallelism()
  if (options.workers >= cores) {
    warnings.push(
      `workers: ${options.workers} seal threads on ${cores} cores: they compete with the main thread for the CPU; use at most ${Math.max(1, cores - 1)}.`,
    )
  }
  if (options.redis && !options.redis.secret) {
    warnings.push(
      'redis without a secret: anyone who can write to Redis can send any event to any room or user; set redis.secret.',
    )
  }
  return warnings
}

const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3}|::1|\[::1\])$/i

/** Whether `host` is a loopback name or address (nothing beyond this machine can reach it). */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOST.test(host)
}

/** The most `workers` accepted: more threads than this only contend for the same cores. */
export const MAX_WORKERS = 64

function workerCount(value: number | undefined): number {
  const chosen = value ?? 0
  if (!Number.isSafeInteger(chosen) || chosen < 0 || chosen > MAX_WORKERS) {
    throw new TypeError(
      `encrypted-socket server: \`workers\` must be a whole number from 0 (fan-out sealed on the main thread) to ${MAX_WORKERS}; got ${String(chosen)}.`,
    )
  }
  return chosen
}

/** `value` (or `fallback` when absent), checked to be a whole number ≥ 0. */
function wholeNumber(name: string, value: number | undefined, fallback: number): number {
  const chosen = value ?? fallback
  if (!Number.isSafeInteger(chosen) || chosen < 0) {
    throw new TypeError(`encrypted-socket server: \`${name}\` must be a whole number ≥ 0; got ${chosen}.`)
  }
  return chosen
}

function checkSecret(secret: string, host: string): void {
  const bytes = Buffer.byteLength(secret, 'utf8')
  if (bytes < 16 || (bytes < 32 && !isLoopbackHost(host))) {
    throw new TypeError(
      `encrypted-socket server: \`jwtSecret\` is too short (${bytes} bytes); use at least 32 random bytes${
        isLoopbackHost(host) ? '' : ` when listening on ${host}`
      } (openssl rand -base64 32).`,
    )
  }
}

function checkRedis(redis: RedisOptions): void {
  if (redis.secret !== undefined && Buffer.byteLength(redis.secret, 'utf8') < 32) {
    throw new TypeError(
      'encrypted-socket server: `redis.secret` must be at least 32 bytes (openssl rand -base64 32).',
    )
  }
  let host: string
  try {
    host = new URL(redis.url).hostname
  } catch {
    throw new TypeError('encrypted-socket server: `redis.url` must be a URL such as redis://127.0.0.1:6379.')
  }
  if (!redis.secret && !redis.allowPlaintext && !isLoopbackHost(host)) {
    throw new TypeError(
      `encrypted-socket server: Redis at ${host} without \`redis.secret\`: whoever can write to it could send any event to any user. Set a secret of at least 32 bytes (the same on every instance), or \`allowPlaintext: true\` to accept the risk.`,
    )
  }
}

const LOOPBACK_ORIGIN = /^https?:\/\/(localhost|127(\.\d{1,3}){3}|\[::1\])(:\d+)?$/i

/** Whether a browser on `origin` (undefined for non-browser clients) may connect. */
export function isOriginAllowed(origin: string | undefined, allowed: readonly string[] | null): boolean {
  // The check protects browsers from cross-site use; a client without an Origin is not a browser.
  if (origin === undefined) return true
  if (allowed === null) return LOOPBACK_ORIGIN.test(origin)
  return allowed.includes('*') || allowed.includes(origin)
}
