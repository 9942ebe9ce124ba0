import { decodeBase64 } from './crypto/base64'
import { EncryptedSocketError } from './errors'
import type { ClientOptions, CloseInfo, Logger, ReconnectOptions, WebSocketConstructor } from './types'

/** Every option after defaults and validation. Nothing else in the client reads raw options. */
export interface ResolvedOptions {
  url: string
  ecdhInfo: string
  token: string | undefined
  getToken: (() => string | Promise<string>) | undefined
  reconnect: Required<Omit<ReconnectOptions, 'shouldReconnect'>> & {
    shouldReconnect: ((close: CloseInfo) => boolean) | undefined
  }
  heartbeatInterval: number
  autoJoinRooms: readonly string[]
  logger: Logger
  WebSocket: WebSocketConstructor | undefined
  protocols: string | string[] | undefined
  handshakeTimeout: number
  requireEncryption: boolean
  outboxMaxSize: number
  allowInsecureTransport: boolean
  maxTrackedIvs: number
  serverKey: Uint8Array<ArrayBuffer> | undefined
  serverKeyFingerprint: string | undefined
}

export const DEFAULTS = {
  reconnect: {
    enabled: true,
    maxRetries: 5,
    interval: 3000,
    backoffMultiplier: 1.5,
    maxInterval: 30_000,
    jitter: 'full',
  },
  heartbeatInterval: 30_000,
  handshakeTimeout: 10_000,
  requireEncryption: true,
  outboxMaxSize: 1000,
  allowInsecureTransport: false,
  maxTrackedIvs: 65_536,
} as const

/** Validates the options and fills in defaults. Throws `ERR_INVALID_OPTION` naming the option. */
export function resolveOptions(options: ClientOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw invalid('options', 'an object with at least `url` and `ecdhInfo`', options)
  }
  const url = check(options.url, 'url', 'a ws:// or wss:// URL string', isString)
  const ecdhInfo = check(
    options.ecdhInfo,
    'ecdhInfo',
    'a non-empty string (the same as the server’s)',
    isNonEmptyString,
  )
  const allowInsecureTransport = optional(
    options.allowInsecureTransport,
    'allowInsecureTransport',
    'a boolean',
    isBoolean,
    DEFAULTS.allowInsecureTransport,
  )
  checkTransport(url, allowInsecureTransport)

  if (options.token !== undefined && typeof options.token !== 'string') {
    // Never describe the value: it may be a token of the wrong type.
    throw new EncryptedSocketError(
      'ERR_INVALID_OPTION',
      `Option "token" must be a string (a JWT); got a ${typeOf(options.token)}.`,
    )
  }
  const reconnect = options.reconnect ?? {}
  check(reconnect, 'reconnect', 'an object', isObject)
  const r = DEFAULTS.reconnect
  const interval = optional(
    reconnect.interval,
    'reconnect.interval',
    'a number of ms ≥ 0',
    isNonNegative,
    r.interval,
  )
  const outbox: { maxSize?: number } = check(options.outbox ?? {}, 'outbox', 'an object', isObject)
  const logger = options.logger ?? console
  if (
    !['info', 'warn', 'error', 'debug'].every(
      (level) => typeof (logger as unknown as Record<string, unknown>)[level] === 'function',
    )
  ) {
    throw invalid('logger', 'an object with info, warn, error and debug functions (like console)', logger)
  }

  return {
    url,
    ecdhInfo,
    token: options.token,
    getToken: optional(
      options.getToken,
      'getToken',
      'a function returning the token (or a promise of it)',
      isFunction,
      undefined,
    ),
    reconnect: {
      enabled: optional(reconnect.enabled, 'reconnect.enabled', 'a boolean', isBoolean, r.enabled),
      maxRetries: optional(
        reconnect.maxRetries,
        'reconnect.maxRetries',
        'an integer ≥ 0, or Infinity',
        isRetryCount,
        r.maxRetries,
      ),
      interval,
      backoffMultiplier: optional(
        reconnect.backoffMultiplier,
        'reconnect.backoffMultiplier',
        'a number ≥ 1',
        (v) => isFiniteNumber(v) && v >= 1,
        r.backoffMultiplier,
      ),
      maxInterval: optional(
        reconnect.maxInterval,
        'reconnect.maxInterval',
        `a number of ms ≥ reconnect.interval (${interval})`,
        (v) => isFiniteNumber(v) && v >= interval,
        Math.max(r.maxInterval, interval),
      ),
      jitter: optional(
        reconnect.jitter,
        'reconnect.jitter',
        '"full" or "none"',
        (v) => v === 'full' || v === 'none',
        r.jitter,
      ),
      shouldReconnect: optional(
        reconnect.shouldReconnect,
        'reconnect.shouldReconnect',
        'a function (close) => boolean',
        isFunction,
        undefined,
      ),
    },
    heartbeatInterval: optional(
      options.heartbeatInterval,
      'heartbeatInterval',
      'a number of ms ≥ 0 (0 turns heartbeats off)',
      isNonNegative,
      DEFAULTS.heartbeatInterval,
    ),
    autoJoinRooms: optional(
      options.autoJoinRooms,
      'autoJoinRooms',
      'an array of non-empty room names',
      isRoomList,
      [],
    ),
    logger,
    WebSocket: optional(
      options.WebSocket,
      'WebSocket',
      'a WebSocket constructor (in Node 20: `import WebSocket from "ws"`)',
      isFunction,
      undefined,
    ),
    protocols: optional(
      options.protocols,
      'protocols',
      'a string or an array of strings',
      (v) => isString(v) || (Array.isArray(v) && v.every(isString)),
      undefined,
    ),
    handshakeTimeout: optional(
      options.handshakeTimeout,
      'handshakeTimeout',
      'a number of ms > 0',
      (v) => isFiniteNumber(v) && v > 0,
      DEFAULTS.handshakeTimeout,
    ),
    requireEncryption: optional(
      options.requireEncryption,
      'requireEncryption',
      'a boolean',
      isBoolean,
      DEFAULTS.requireEncryption,
    ),
    outboxMaxSize: optional(
      outbox.maxSize,
      'outbox.maxSize',
      'an integer ≥ 0',
      isCount,
      DEFAULTS.outboxMaxSize,
    ),
    allowInsecureTransport,
    serverKey: options.serverKey === undefined ? undefined : decodeServerKey(options.serverKey),
    serverKeyFingerprint: optional(
      typeof options.serverKeyFingerprint === 'string'
        ? options.serverKeyFingerprint.toLowerCase().replace(/:/g, '')
        : options.serverKeyFingerprint,
      'serverKeyFingerprint',
      'the hex SHA-256 fingerprint of the server identity key (64 hex digits)',
      (v) => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v),
      undefined,
    ),
    maxTrackedIvs: optional(
      options.maxTrackedIvs,
      'maxTrackedIvs',
      'an integer ≥ 1',
      (v) => isCount(v) && (v as number) >= 1,
      DEFAULTS.maxTrackedIvs,
    ),
  }
}

function decodeServerKey(value: unknown): Uint8Array<ArrayBuffer> {
  const bytes = typeof value === 'string' ? decodeBase64(value) : undefined
  if (!bytes || bytes.length !== 65 || bytes[0] !== 4) {
    throw invalid('serverKey', 'the base64 raw P-256 public key of the server identity (65 bytes)', value)
  }
  return bytes
}

const LOOPBACK = /^(localhost|.+\.localhost|127(\.\d{1,3}){3}|\[::1\])$/i

/** `wss://` anywhere; `ws://` only to loopback unless explicitly allowed. */
function checkTransport(url: string, allowInsecureTransport: boolean): void {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new EncryptedSocketError(
      'ERR_INVALID_OPTION',
      'Option "url" is not a valid URL. Pass an absolute wss:// URL.',
    )
  }
  if (parsed.protocol !== 'wss:' && parsed.protocol !== 'ws:') {
    throw new EncryptedSocketError(
      'ERR_INVALID_OPTION',
      `Option "url" must use wss:// (or ws:// to localhost); got "${parsed.protocol}".`,
    )
  }
  if (parsed.protocol === 'ws:' && !LOOPBACK.test(parsed.hostname) && !allowInsecureTransport) {
    throw new EncryptedSocketError(
      'ERR_INSECURE_TRANSPORT',
      `Refusing ws:// to "${parsed.hostname}": the token would cross the network without TLS. ` +
        'Use wss://, or set allowInsecureTransport: true if you really mean it.',
    )
  }
}

function check<T>(value: unknown, name: string, expected: string, test: (value: unknown) => value is T): T
function check(value: unknown, name: string, expected: string, test: (value: unknown) => boolean): unknown
function check(value: unknown, name: string, expected: string, test: (value: unknown) => boolean): unknown {
  if (!test(value)) throw invalid(name, expected, value)
  return value
}

function optional<T>(
  value: T | undefined,
  name: string,
  expected: string,
  test: (value: unknown) => boolean,
  fallback: T,
): T {
  if (value === undefined) return fallback
  if (!test(value)) throw invalid(name, expected, value)
  return value
}

function invalid(name: string, expected: string, value: unknown): EncryptedSocketError {
  const got = typeof value === 'number' || typeof value === 'boolean' ? String(value) : `a ${typeOf(value)}`
  return new EncryptedSocketError('ERR_INVALID_OPTION', `Option "${name}" must be ${expected}; got ${got}.`)
}

function typeOf(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value
}

const isString = (v: unknown): v is string => typeof v === 'string'
const isNonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.length > 0
const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean'
const isFunction = (v: unknown): boolean => typeof v === 'function'
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)
const isNonNegative = (v: unknown): boolean => isFiniteNumber(v) && v >= 0
const isCount = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 0
const isRetryCount = (v: unknown): boolean => isCount(v) || v === Infinity
const isRoomList = (v: unknown): boolean => Array.isArray(v) && v.every(isNonEmptyString)
