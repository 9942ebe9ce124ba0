import type { ServerIdentity } from './client/pinServer'
import { ConsoleLogger, debugFromStorage } from './client/defaultLogger'
import { warnTokenInUrl, warnUnknownOptions } from './client/optionWarnings'
import { EncryptedSocketError } from './errors'
import type {
  ClientOptions,
  CloseInfo,
  Logger,
  ReconnectOptions,
  TrafficEntry,
  WebSocketConstructor,
} from './types'

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
  debug: boolean | undefined
  onTraffic: ((entry: TrafficEntry) => void) | undefined
  WebSocket: WebSocketConstructor | undefined
  protocols: string | string[] | undefined
  protocol: 'auto' | 'v1' | 'v2'
  pongTimeout: number
  handshakeTimeout: number
  requireEncryption: boolean
  outbox: { maxSize: number; maxAge: number }
  allowInsecureTransport: boolean
  maxTrackedIvs: number
  serverIdentity: ServerIdentity | undefined
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
  outboxMaxAge: 60_000,
  allowInsecureTransport: false,
  maxTrackedIvs: 65_536,
  protocol: 'auto',
  pongTimeout: 10_000,
} as const

type Test = (value: unknown) => boolean

const isString: Test = (v) => typeof v === 'string'
const isBoolean: Test = (v) => typeof v === 'boolean'
const isFunction: Test = (v) => typeof v === 'function'
/** A positive number of ms, or Infinity. */
export const isDuration: Test = (v) =>
  v === Infinity || (typeof v === 'number' && Number.isFinite(v) && v > 0)
const isObject: Test = (v) => typeof v === 'object' && v !== null && !Array.isArray(v)
const isNumberFrom =
  (min: number): Test =>
  (v) =>
    typeof v === 'number' && Number.isFinite(v) && v >= min
const isCountFrom =
  (min: number): Test =>
  (v) =>
    Number.isInteger(v) && (v as number) >= min
const isRoom: Test = (v) => isString(v) && (v as string).length > 0
const MS = 'a number of ms ≥ 0'

const r = DEFAULTS.reconnect

// Bundlers replace process.env.NODE_ENV; where nothing does, `process` may not exist.
declare const process: { env: { NODE_ENV?: string } }

/**
 * Each option after `url`, `ecdhInfo` and `token`, by its path: what it must be, the test, and the
 * default that replaces `undefined`.
 */
const RULES: [path: string, expected: string, test: Test, fallback?: unknown][] = [
  ['getToken', 'a function', isFunction],
  ['reconnect.enabled', 'a boolean', isBoolean, r.enabled],
  [
    'reconnect.maxRetries',
    'an integer ≥ 0, or Infinity',
    (v) => v === Infinity || isCountFrom(0)(v),
    r.maxRetries,
  ],
  ['reconnect.interval', MS, isNumberFrom(0), r.interval],
  ['reconnect.backoffMultiplier', 'a number ≥ 1', isNumberFrom(1), r.backoffMultiplier],
  ['reconnect.maxInterval', MS, isNumberFrom(0)], // its default and bound depend on the interval
  ['reconnect.jitter', '"full" or "none"', (v) => v === 'full' || v === 'none', r.jitter],
  ['reconnect.shouldReconnect', 'a function (close) => boolean', isFunction],
  ['heartbeatInterval', `${MS} (0 turns heartbeats off)`, isNumberFrom(0), DEFAULTS.heartbeatInterval],
  [
    'autoJoinRooms',
    'an array of non-empty room names',
    (v) => Array.isArray(v) && v.every(isRoom),
    Object.freeze([]),
  ],
  ['WebSocket', 'a WebSocket constructor (in Node 20, `ws`)', isFunction],
  [
    'protocols',
    'a string or an array of strings',
    (v) => isString(v) || (Array.isArray(v) && v.every(isString)),
  ],
  ['protocol', '"auto", "v1" or "v2"', (v) => v === 'auto' || v === 'v1' || v === 'v2', DEFAULTS.protocol],
  ['pongTimeout', 'a number of ms > 0', (v) => isNumberFrom(0)(v) && v !== 0, DEFAULTS.pongTimeout],
  ['handshakeTimeout', 'a number of ms > 0', (v) => isNumberFrom(0)(v) && v !== 0, DEFAULTS.handshakeTimeout],
  ['requireEncryption', 'a boolean', isBoolean, DEFAULTS.requireEncryption],
  ['outbox.maxSize', 'an integer ≥ 0', isCountFrom(0), DEFAULTS.outboxMaxSize],
  ['outbox.maxAge', 'a number of ms > 0 (or Infinity)', isDuration, DEFAULTS.outboxMaxAge],
  ['allowInsecureTransport', 'a boolean', isBoolean, DEFAULTS.allowInsecureTransport],
  ['maxTrackedIvs', 'an integer ≥ 1', isCountFrom(1), DEFAULTS.maxTrackedIvs],
  ['serverIdentity', 'pinServerKey(…) or pinServerFingerprint(…)', isFunction],
  ['logger', 'like console (info, warn, error, debug)', isLogger],
  ['debug', 'a boolean', isBoolean],
  ['onTraffic', 'a function', isFunction],
]

/** Validates the options and fills in defaults. Throws `ERR_INVALID_OPTION` naming the option. */
export function resolveOptions(options: ClientOptions): ResolvedOptions {
  if (!isObject(options)) throw invalid('options', 'an object', options)
  const { url, ecdhInfo, token } = options
  if (!isString(url)) throw invalid('url', 'a ws:// or wss:// URL string', url)
  if (!isRoom(ecdhInfo)) throw invalid('ecdhInfo', 'a non-empty string, the same as the server’s', ecdhInfo)
  if (token !== undefined && !isString(token)) {
    // Never describe the value: it may be a token of the wrong type.
    throw new EncryptedSocketError('ERR_INVALID_OPTION', 'Option "token" must be a string (a JWT).')
  }
  if ('serverKey' in options || 'serverKeyFingerprint' in options) {
    throw new EncryptedSocketError(
      'ERR_INVALID_OPTION',
      'Options "serverKey" and "serverKeyFingerprint" became `serverIdentity: pinServerKey(key)` or `pinServerFingerprint(hex)`.',
    )
  }
  for (const group of ['reconnect', 'outbox'] as const) {
    if (options[group] !== undefined && !isObject(options[group]))
      throw invalid(group, 'an object', options[group])
  }
  // Read by name, never by enumerating: getters and inherited options count. Nested paths land in
  // nested objects of the result (`reconnect.interval` → `resolved.reconnect.interval`).
  const resolved: Record<string, unknown> & {
    reconnect: Record<string, unknown>
    outbox: Record<string, unknown>
  } = { url, ecdhInfo, token, reconnect: {}, outbox: {} }
  for (const [path, expected, test, fallback] of RULES) {
    const [group, key] = path.split('.') as [string, string | undefined]
    const value =
      key === undefined
        ? options[group as keyof ClientOptions]
        : (options[group as 'reconnect'] as Record<string, unknown> | undefined)?.[key]
    if (value !== undefined && !test(value)) throw invalid(path, expected, value)
    if (key === undefined) resolved[group] = value ?? fallback
    else (resolved[group] as Record<string, unknown>)[key] = value ?? fallback
  }
  // Quiet unless asked: `debug`, or the localStorage switch. Your own logger gets every level.
  resolved.logger ??= new ConsoleLogger(!!resolved.debug || debugFromStorage())
  const reconnect = resolved.reconnect as ResolvedOptions['reconnect']
  reconnect.maxInterval ??= Math.max(r.maxInterval, reconnect.interval)
  if (reconnect.maxInterval < reconnect.interval) {
    throw invalid(
      'reconnect.maxInterval',
      `a number of ms ≥ reconnect.interval (${reconnect.interval})`,
      reconnect.maxInterval,
    )
  }
  checkTransport(url, resolved.allowInsecureTransport as boolean)
  // Development aids (typos, a token in the URL), inline so that bundlers drop them in production.
  if (typeof process !== 'undefined' && process.env.NODE_ENV !== 'production') {
    const logger = resolved.logger as Logger
    warnUnknownOptions(options, ['url', 'ecdhInfo', 'token', ...RULES.map(([path]) => path)], logger)
    warnTokenInUrl(url, logger)
  }
  return resolved as unknown as ResolvedOptions
}

function isLogger(value: unknown): boolean {
  const logger = value as Record<string, unknown>
  return ['info', 'warn', 'error', 'debug'].every((level) => isFunction(logger?.[level]))
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
      'Option "url" is not a valid URL: pass an absolute wss:// URL.',
    )
  }
  const { protocol, hostname } = parsed
  if (protocol !== 'wss:' && protocol !== 'ws:') {
    throw new EncryptedSocketError(
      'ERR_INVALID_OPTION',
      `Option "url" must use wss:// (or ws:// to localhost); got "${protocol}".`,
    )
  }
  if (protocol === 'ws:' && !LOOPBACK.test(hostname) && !allowInsecureTransport) {
    throw new EncryptedSocketError(
      'ERR_INSECURE_TRANSPORT',
      `ws://${hostname} would send the token without TLS: use wss:// (or allowInsecureTransport).`,
    )
  }
}

function invalid(name: string, expected: string, value: unknown): EncryptedSocketError {
  const type = Array.isArray(value) ? 'array' : typeof value
  const got =
    value == null || type === 'number' || type === 'boolean'
      ? String(value)
      : (/^[ao]/.test(type) ? 'an ' : 'a ') + type // an array, an object; a string, a function, …
  return new EncryptedSocketError('ERR_INVALID_OPTION', `Option "${name}" must be ${expected}; got ${got}.`)
}
