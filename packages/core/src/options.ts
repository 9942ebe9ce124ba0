import type { ServerIdentity } from './client/pinServer'
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
  allowInsecureTransport: false,
  maxTrackedIvs: 65_536,
} as const

type Test = (value: unknown) => boolean

const isString: Test = (v) => typeof v === 'string'
const isBoolean: Test = (v) => typeof v === 'boolean'
const isFunction: Test = (v) => typeof v === 'function'
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

/** Each optional option, by its path: what it must be, and the test. `undefined` means "the default". */
const RULES: [path: string, expected: string, test: Test][] = [
  ['reconnect', 'an object', isObject],
  ['outbox', 'an object', isObject],
  ['allowInsecureTransport', 'a boolean', isBoolean],
  ['getToken', 'a function', isFunction],
  ['reconnect.enabled', 'a boolean', isBoolean],
  ['reconnect.maxRetries', 'an integer ≥ 0, or Infinity', (v) => v === Infinity || isCountFrom(0)(v)],
  ['reconnect.interval', MS, isNumberFrom(0)],
  ['reconnect.backoffMultiplier', 'a number ≥ 1', isNumberFrom(1)],
  ['reconnect.jitter', '"full" or "none"', (v) => v === 'full' || v === 'none'],
  ['reconnect.shouldReconnect', 'a function (close) => boolean', isFunction],
  ['heartbeatInterval', `${MS} (0 turns heartbeats off)`, isNumberFrom(0)],
  ['autoJoinRooms', 'an array of non-empty room names', (v) => Array.isArray(v) && v.every(isRoom)],
  ['WebSocket', 'a WebSocket constructor (in Node 20, `ws`)', isFunction],
  [
    'protocols',
    'a string or an array of strings',
    (v) => isString(v) || (Array.isArray(v) && v.every(isString)),
  ],
  ['handshakeTimeout', 'a number of ms > 0', (v) => isNumberFrom(0)(v) && v !== 0],
  ['requireEncryption', 'a boolean', isBoolean],
  ['outbox.maxSize', 'an integer ≥ 0', isCountFrom(0)],
  ['maxTrackedIvs', 'an integer ≥ 1', isCountFrom(1)],
  ['serverIdentity', 'pinServerKey(…) or pinServerFingerprint(…)', isFunction],
  ['logger', 'like console (info, warn, error, debug)', isLogger],
]

/** Validates the options and fills in defaults. Throws `ERR_INVALID_OPTION` naming the option. */
export function resolveOptions(options: ClientOptions): ResolvedOptions {
  if (!isObject(options)) throw invalid('options', 'an object', options)
  if (!isString(options.url)) throw invalid('url', 'a ws:// or wss:// URL string', options.url)
  if (!isRoom(options.ecdhInfo)) {
    throw invalid('ecdhInfo', 'a non-empty string, the same as the server’s', options.ecdhInfo)
  }
  if (options.token !== undefined && !isString(options.token)) {
    // Never describe the value: it may be a token of the wrong type.
    throw new EncryptedSocketError('ERR_INVALID_OPTION', 'Option "token" must be a string (a JWT).')
  }
  if ('serverKey' in options || 'serverKeyFingerprint' in options) {
    throw new EncryptedSocketError(
      'ERR_INVALID_OPTION',
      'Options "serverKey" and "serverKeyFingerprint" became `serverIdentity: pinServerKey(key)` or `pinServerFingerprint(hex)`.',
    )
  }
  // Every option is read by name (never by enumerating), so getters and inherited options count.
  const read = (path: string): unknown =>
    path.split('.').reduce<unknown>((object, key) => (object as Record<string, unknown>)?.[key], options)
  for (const [path, expected, test] of RULES) {
    const value = read(path)
    if (value !== undefined && !test(value)) throw invalid(path, expected, value)
  }
  const given = <T>(path: string, fallback: T): T => (read(path) as T | undefined) ?? fallback
  const allowInsecureTransport = given('allowInsecureTransport', DEFAULTS.allowInsecureTransport as boolean)
  checkTransport(options.url, allowInsecureTransport)
  const r = DEFAULTS.reconnect
  const interval = given<number>('reconnect.interval', r.interval)
  const maxInterval = given<number>('reconnect.maxInterval', Math.max(r.maxInterval, interval))
  if (!isNumberFrom(interval)(maxInterval)) {
    throw invalid('reconnect.maxInterval', `a number of ms ≥ reconnect.interval (${interval})`, maxInterval)
  }
  return {
    url: options.url,
    ecdhInfo: options.ecdhInfo,
    token: options.token,
    getToken: options.getToken,
    reconnect: {
      enabled: given<boolean>('reconnect.enabled', r.enabled),
      maxRetries: given<number>('reconnect.maxRetries', r.maxRetries),
      interval,
      backoffMultiplier: given<number>('reconnect.backoffMultiplier', r.backoffMultiplier),
      maxInterval,
      jitter: given<'full' | 'none'>('reconnect.jitter', r.jitter),
      shouldReconnect: options.reconnect?.shouldReconnect,
    },
    heartbeatInterval: given<number>('heartbeatInterval', DEFAULTS.heartbeatInterval),
    autoJoinRooms: given<readonly string[]>('autoJoinRooms', []),
    logger: given<Logger>('logger', console),
    WebSocket: options.WebSocket,
    protocols: options.protocols,
    handshakeTimeout: given<number>('handshakeTimeout', DEFAULTS.handshakeTimeout),
    requireEncryption: given<boolean>('requireEncryption', DEFAULTS.requireEncryption),
    outboxMaxSize: given<number>('outbox.maxSize', DEFAULTS.outboxMaxSize),
    allowInsecureTransport,
    maxTrackedIvs: given<number>('maxTrackedIvs', DEFAULTS.maxTrackedIvs),
    serverIdentity: options.serverIdentity,
  }
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
  const got =
    typeof value === 'number' || typeof value === 'boolean'
      ? String(value)
      : `a ${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value}`
  return new EncryptedSocketError('ERR_INVALID_OPTION', `Option "${name}" must be ${expected}; got ${got}.`)
}
