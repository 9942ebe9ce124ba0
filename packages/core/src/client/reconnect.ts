// When to try again: the client's close codes, the close-code policy, the backoff, and the one
// decision taken after every ended connection.
import { EncryptedSocketError } from '../errors'
import type { CloseInfo } from '../types'
import type { ResolvedOptions } from '../options'

/** Close codes the client sends for its own reasons (browsers allow only 1000 and 3000–4999). */
export const CLIENT_CLOSE = {
  /** `disconnect()` / `destroy()`. */
  NORMAL: 1000,
  /** No `connected` within `handshakeTimeout`. */
  HANDSHAKE_TIMEOUT: 4000,
  /** The server broke the protocol during the handshake (bad key or salt, no keys). */
  PROTOCOL_VIOLATION: 4001,
  /** Encrypted frames kept failing before one succeeded: the key is wrong, re-key. */
  KEY_NOT_CONFIRMED: 4002,
  /** The replay window is full: re-key with a new connection. */
  REKEY: 4003,
  /** `getToken()` failed. */
  TOKEN_UNAVAILABLE: 4004,
  /** The server could not prove its identity (`serverIdentity`). */
  SERVER_AUTH: 4005,
  /** The server does not speak protocol v2 and the client requires it. */
  PROTOCOL_VERSION: 4006,
  /** Protocol v2: nothing arrived within `pongTimeout` after a ping. */
  PONG_TIMEOUT: 4007,
} as const

/** Codes meaning "the server refused these credentials": never retried by default. */
export const REJECTED_CLOSE_CODES: ReadonlySet<number> = /* @__PURE__ */ new Set([1008, 4401, 4403])
/** 1009: a frame was too big; sending it again would fail again. */
export const MESSAGE_TOO_BIG = 1009
/** 4006: protocol version refused; 4009: superseded by a resume elsewhere; 4430: Origin refused. Retrying cannot help. */
const FINAL_CLOSE_CODES: ReadonlySet<number> = /* @__PURE__ */ new Set([MESSAGE_TOO_BIG, 4006, 4009, 4430])

/** The default close-code policy: stop on rejection, 1009, 4006, 4009 and 4430, retry everything else. */
export function defaultShouldReconnect(close: Pick<CloseInfo, 'code'>): boolean {
  return !REJECTED_CLOSE_CODES.has(close.code) && !FINAL_CLOSE_CODES.has(close.code)
}

/**
 * The delay before reconnection attempt `attempt` (1 for the first):
 * `min(interval × multiplier^(attempt − 1), maxInterval)`, scaled by a random factor in [0, 1)
 * with full jitter.
 */
export function nextDelay(
  attempt: number,
  reconnect: ResolvedOptions['reconnect'],
  random: () => number = Math.random,
): number {
  const base = Math.min(
    reconnect.interval * reconnect.backoffMultiplier ** Math.max(0, attempt - 1),
    reconnect.maxInterval,
  )
  return reconnect.jitter === 'full' ? Math.floor(random() * base) : base
}

/** What to do after a connection ended. */
export type ReconnectDecision =
  /** Open the next attempt at once, without counting a retry (a re-key). */
  | { type: 'retry-now' }
  /** Wait `delay` ms, then make attempt number `attempt`. */
  | { type: 'retry-after'; attempt: number; delay: number }
  /** Stop, for `error`; `exhausted` when it is because `maxRetries` was reached. */
  | { type: 'give-up'; error: EncryptedSocketError; exhausted: boolean }

/**
 * The decision after `close` (pure): give up when reconnecting is off or the policy refuses the
 * close code; retry at once when the connection asked for it (`retryNow`: a re-key), when the
 * server re-keys (4003), and on the first liveness timeout (4007) after a working connection;
 * give up once `maxRetries` retries were made; otherwise back off.
 */
export function decideAfterClose(
  close: CloseInfo,
  retryNow: boolean,
  reconnect: ResolvedOptions['reconnect'],
  random: () => number = Math.random,
): ReconnectDecision {
  const error =
    close.error ?? new EncryptedSocketError('ERR_CONNECTION_CLOSED', `Connection closed (${close.code}).`)
  const retry = reconnect.enabled && (reconnect.shouldReconnect ?? defaultShouldReconnect)(close)
  if (!retry) return { type: 'give-up', error, exhausted: false }
  if (retryNow || close.code === CLIENT_CLOSE.REKEY) return { type: 'retry-now' }
  if (close.code === CLIENT_CLOSE.PONG_TIMEOUT && close.retryCount === 0) return { type: 'retry-now' }
  if (close.retryCount >= reconnect.maxRetries) {
    const exhausted = new EncryptedSocketError(
      'ERR_RETRIES_EXHAUSTED',
      `Gave up after ${close.retryCount} retries (reconnect.maxRetries): ${error.message}`,
      { cause: error, closeCode: close.code },
    )
    return { type: 'give-up', error: exhausted, exhausted: true }
  }
  const attempt = close.retryCount + 1
  return { type: 'retry-after', attempt, delay: nextDelay(attempt, reconnect, random) }
}
