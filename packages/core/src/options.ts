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

/**
 * Each option after `url`, `ecdhInfo` and `token`, by its path: its test, and the default that
 * replaces `undefined` (`reconnect.maxInterval`'s depends on the interval).
 */
const RULES: [path: string, test: Test, fallback?: unknown][] = [
  ['getToken', isFunction],
  ['reconnect.enabled', isBoolean, r.enabled],
  ['reconnect.maxRetries', (v) => v === Infinity || isCountFrom(0)(v), r.maxRetries],
  ['reconnect.interval', isNumberFrom(0), r.interval],
  ['reconnect.backoffMultiplier', isNumberFrom(1), r.backoffMultiplier],
  ['reconnect.maxInterval', isNumberFrom(0)],
  ['reconnect.jitter', (v) => v === 'full' || v === 'none', r.jitter],
  ['reconnect.shouldReconnect', isFunction],
  ['heartbeatInterval', isNumberFrom(0), DEFAULTS.heartbeatInterval],
  ['autoJoinRooms', (v) => Array.isArray(v) && v.every(isRoom), Object.freeze([])],
  ['WebSocket', isFunction],
  ['protocols', (v) => isString(v) || (Array.isArray(v) && v.every(isString))],
  ['protocol', (v) => v === 'auto' || v === 'v1' || v === 'v2', DEFAULTS.protocol],
  ['pongTimeout', (v) => isNumberFrom(0)(v) && v !== 0, DEFAULTS.pongTimeout],
  ['handshakeTimeout', (v) => isNumberFrom(0)(v) && v !== 0, DEFAULTS.handshakeTimeout],
  ['requireEncryption', isBoolean, DEFAULTS.requireEncryption],
  ['outbox.maxSize', isCountFrom(0), DEFAULTS.outboxMaxSize],
  ['outbox.maxAge', isDuration, DEFAULTS.outboxMaxAge],
  ['allowInsecureTransport', isBoolean, DEFAULTS.allowInsecureTransport],
  ['maxTrackedIvs', isCountFrom(1), DEFAULTS.maxTrackedIvs],
  ['serverIdentity', isFunction],
  ['logger', isLogger],
  ['debug', isBoolean],
  ['onTraffic', isFunction],
]

/** What each option must be, for the development build's messages (production names the option only). */
const EXPECTED: Record<string, string> = __DEV__
  ? {
      getToken: 'a function',
      'reconnect.enabled': 'a boolean',
      'reconnect.maxRetries': 'an integer ≥ 0, or Infinity',
      'reconnect.interval': MS,
      'reconnect.backoffMultiplier': 'a number ≥ 1',
      'reconnect.maxInterval': MS,
      'reconnect.jitter': '"full" or "none"',
      'reconnect.shouldReconnect': 'a function (close) => boolean',
      heartbeatInterval: `${MS} (0 turns heartbeats off)`,
      autoJoinRooms: 'an array of non-empty room names',
      WebSocket: 'a WebSocket constructor (in Node 20, `ws`)',
      protocols: 'a string or an array of strings',
      protocol: '"auto", "v1" or "v2"',
      pongTimeout: 'a number of ms > 0',
      handshakeTimeout: 'a number of ms > 0',
      requireEncryption: 'a boolean',
      'outbox.maxSize': 'an integer ≥ 0',
      'outbox.maxAge': 'a number of ms > 0 (or Infinity)',
      allowInsecureTransport: 'a boolean',
      maxTrackedIvs: 'an integer ≥ 1',
      serverIdentity: 'pinServerKey(…) or pinServerFingerprint(…)',
      logger: 'like console (info, warn, error, debug)',
      debug: 'a boolean',
      onTraffic: 'a function',
    }
  : {}

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
      __DEV__
        ? 'Options "serverKey" and "serverKeyFingerprint" became `serverIdentity: pinServerKey(key)` or `pinServerFingerprint(hex)`.'
        : 'Use serverIdentity.',
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
  for (const [path, test, fallback] of RULES) {
    const [group, key] = path.split('.') as [string, string | undefined]
    const value =
      key === undefined
        ? options[group as keyof ClientOptions]
        : (options[group as 'reconnect'] as Record<string, unknown> | undefined)?.[key]
    if (value !== undefined && !test(value)) throw invalid(path, EXPECTED[path]!, value)
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
  // Development aids (typos, a token in the URL): not in the production build.
  if (__DEV__) {
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
      __DEV__ ? 'Option "url" is not a valid URL: pass an absolute wss:// URL.' : 'Option "url" is invalid.',
    )
  }
  const { protocol, hostname } = parsed
  if (protocol !== 'wss:' && protocol !== 'ws:') {
    throw new EncryptedSocketError(
      'ERR_INVALID_OPTION',
      __DEV__
        ? `Option "url" must use wss:// (or ws:// to localhost); got "${protocol}".`
        : 'Option "url" is invalid.',
    )
  }
  if (protocol === 'ws:' && !LOOPBACK.test(hostname) && !allowInsecureTransport) {
    throw new EncryptedSocketError(
      'ERR_INSECURE_TRANSPORT',
      __DEV__
        ? `ws://${hostname} would send the token without TLS: use wss:// (or allowInsecureTransport).`
        : 'Use wss://.',
    )
  }
}

function invalid(name: string, expected: string, value: unknown): EncryptedSocketError {
  if (!__DEV__) return new EncryptedSocketError('ERR_INVALID_OPTION', `Option "${name}" is invalid.`)
  const type = Array.isArray(value) ? 'array' : typeof value
  const got =
    value == null || type === 'number' || type === 'boolean'
      ? String(value)
      : (/^[ao]/.test(type) ? 'an ' : 'a ') + type // an array, an object; a string, a function, …
  return new EncryptedSocketError('ERR_INVALID_OPTION', `Option "${name}" must be ${expected}; got ${got}.`)
}
