import type { EphemeralKeys } from '@encrypted-socket/core'
import { createHs256Verifier, type VerifyToken } from './auth'
import { createHandshakeSigner, type HandshakeSigner } from './crypto/handshakeSigner'
import type { EventHandler } from './eventContext'
import { createJsonLogger, type ServerLogger } from './logger'
import type { ServerIdentity } from './identity'
import type { RedisOptions } from './redisFanout'

export interface ServerOptions {
  /** The HKDF info string, identical to the clients' `ecdhInfo`. */
  ecdhInfo: string
  /** Secret for HS256 JWTs (the `sub` claim is the user id). Either this or `verifyToken`. */
  jwtSecret?: string
  /** Required `iss` claim of HS256 tokens. */
  jwtIssuer?: string
  /** Required `aud` claim of HS256 tokens. */
  jwtAudience?: string
  /** Your own verification (e.g. JWKS): return the user id, or throw to refuse. Wins over `jwtSecret`. */
  verifyToken?: VerifyToken
  /** @default 8787 (0 picks a free port) */
  port?: number
  /** The interface to listen on. @default '127.0.0.1' */
  host?: string
  /**
   * Allowed `Origin` headers of browser clients; `'*'` allows any. Without the option, only
   * loopback origins (`http://localhost:*`, `http://127.0.0.1:*`, `http://[::1]:*`) are accepted.
   * Others are refused (403) before the upgrade. Clients that send no Origin are not browsers and
   * are accepted.
   */
  origins?: readonly string[]
  /** Called with every decrypted application event. */
  onEvent?: EventHandler
  /** Built-in demo handlers: `echo` → `echo.reply`, `chat.send` → `chat.message` to the room. @default false */
  demo?: boolean
  /** Largest frame accepted, in bytes; larger ones close the connection with 1009. @default 2 MiB (fits 1 MiB payloads) */
  maxPayload?: number
  /** Time from the socket opening to a valid `authenticate`, in ms; then close 4408. @default 10000 */
  authTimeout?: number
  /** A client that sends nothing (not even a heartbeat) for this long is dropped, in ms. @default 90000 */
  idleTimeout?: number
  /** Messages per second per connection, and the burst allowed; the rest are dropped. @default { perSecond: 100, burst: 200 } */
  rateLimit?: { perSecond: number; burst: number }
  /** IVs remembered per connection against replays; when full the connection is closed (4003) to re-key. @default 65536 */
  maxTrackedIvs?: number
  /**
   * Sees every text frame exactly as it crosses the wire, both ways: what a proxy in front of the
   * server would see (for demos and debugging).
   */
  onFrame?: (frame: { connectionId: string; direction: 'in' | 'out'; text: string }) => void
  /**
   * Scale out: rooms, users and broadcasts reach the connections of every instance sharing this
   * Redis (`'redis://127.0.0.1:6379'` or `{ url, keyPrefix, secret }`). Without it the server is
   * a single instance and needs no Redis.
   */
  redis?: string | RedisOptions
  /** Structured logs. @default JSON lines from level info */
  logger?: ServerLogger
  /**
   * Server authentication (opt-in, v1-compatible): every `connected` carries this identity's public
   * key and a signature over the handshake; clients that pin the key (`serverIdentity:
   * pinServerKey(…)` or `pinServerFingerprint(…)`) refuse anyone else. Load it with `loadServerIdentity(pem)`.
   */
  identity?: ServerIdentity
  /** For test vectors only: the server's key pair per connection. @default fresh ephemeral keys */
  createKeys?: () => Promise<EphemeralKeys>
  /** For test vectors only: the salt per connection. @default 32 random bytes */
  createSalt?: () => Uint8Array<ArrayBuffer>
}

export type ResolvedServerOptions = Required<
  Pick<
    ServerOptions,
    | 'ecdhInfo'
    | 'port'
    | 'host'
    | 'demo'
    | 'maxPayload'
    | 'authTimeout'
    | 'idleTimeout'
    | 'rateLimit'
    | 'maxTrackedIvs'
    | 'logger'
  >
> & {
  verifyToken: VerifyToken
  origins: readonly string[] | null
  onEvent: EventHandler | undefined
  onFrame: ServerOptions['onFrame']
  redis: RedisOptions | null
  identity: HandshakeSigner | null
  createKeys: (() => Promise<EphemeralKeys>) | undefined
  createSalt: () => Uint8Array<ArrayBuffer>
}

export function resolveServerOptions(options: ServerOptions): ResolvedServerOptions {
  if (typeof options.ecdhInfo !== 'string' || options.ecdhInfo.length === 0) {
    throw new TypeError(
      'encrypted-socket server: `ecdhInfo` must be a non-empty string, the same as the clients’.',
    )
  }
  const verifyToken =
    options.verifyToken ??
    (options.jwtSecret
      ? createHs256Verifier({
          secret: options.jwtSecret,
          issuer: options.jwtIssuer,
          audience: options.jwtAudience,
        })
      : undefined)
  if (!verifyToken) {
    throw new TypeError(
      'encrypted-socket server: pass `jwtSecret` (HS256) or `verifyToken(token)` to authenticate clients.',
    )
  }
  if (options.jwtSecret !== undefined && options.jwtSecret.length < 16 && !options.verifyToken) {
    throw new TypeError(
      'encrypted-socket server: `jwtSecret` is too short; use at least 16 characters (32 random bytes is better).',
    )
  }
  return {
    ecdhInfo: options.ecdhInfo,
    verifyToken,
    port: options.port ?? 8787,
    host: options.host ?? '127.0.0.1',
    origins: options.origins ?? null,
    onEvent: options.onEvent,
    onFrame: options.onFrame,
    identity: options.identity ? createHandshakeSigner(options.identity) : null,
    redis: typeof options.redis === 'string' ? { url: options.redis } : (options.redis ?? null),
    demo: options.demo ?? false,
    maxPayload: options.maxPayload ?? 2 * 1024 * 1024,
    authTimeout: options.authTimeout ?? 10_000,
    idleTimeout: options.idleTimeout ?? 90_000,
    rateLimit: options.rateLimit ?? { perSecond: 100, burst: 200 },
    maxTrackedIvs: options.maxTrackedIvs ?? 65_536,
    logger: options.logger ?? createJsonLogger('info'),
    createKeys: options.createKeys,
    createSalt: options.createSalt ?? (() => crypto.getRandomValues(new Uint8Array(32))),
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
