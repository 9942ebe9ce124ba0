import { createRemoteJWKSet, customFetch, jwtVerify, type FetchImplementation } from 'jose'
import { VerifierUnavailableError, verifiedClaims, type VerifiedToken } from './auth'
import type { ServerOptions } from './options'

/** Asymmetric JWS algorithms a key set can verify (never `none`, never an HS* shared secret). */
export type JwksAlgorithm =
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'ES256'
  | 'ES384'
  | 'ES512'
  | 'EdDSA'
  | 'Ed25519'

const JWKS_ALGORITHMS: ReadonlySet<string> = new Set<JwksAlgorithm>([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
])

/** The algorithms accepted when none are configured. */
export const DEFAULT_JWKS_ALGORITHMS: readonly JwksAlgorithm[] = Object.freeze(['RS256', 'ES256', 'EdDSA'])

export interface JwksOptions {
  /** The identity provider's key set, e.g. `https://id.example.com/.well-known/jwks.json`. */
  url: string | URL
  /** The required `iss` claim. */
  issuer: string
  /** The required `aud` claim (the token may name other audiences too). */
  audience: string
  /** The algorithms accepted. @default ['RS256', 'ES256', 'EdDSA'] */
  algorithms?: readonly JwksAlgorithm[]
  /** Refuse tokens without an `exp` claim. @default true */
  requireExpiry?: boolean
  /** How long fetched keys are used before the set is fetched again, in ms. @default 600000 (jose's) */
  cacheMaxAge?: number
  /**
   * After a fetch, how long a token with an unknown `kid` is refused without fetching again
   * (a rotated key is picked up once this has passed), in ms. @default 30000 (jose's)
   */
  cooldown?: number
  /** Time allowed for one fetch of the key set, in ms. @default 5000 (jose's) */
  timeout?: number
}

/**
 * JWT verification against an identity provider's JSON Web Key Set (`jose`'s
 * `createRemoteJWKSet`: fetched on first use, cached, fetched again when stale or when a token names
 * an unknown `kid`). The algorithms are pinned, `iss` and `aud` are required, `exp` is required
 * (unless `requireExpiry: false`), `exp` and `nbf` are honoured, and `sub` is the user id. When the
 * key set cannot be fetched (unreachable, timeout, not a 200 with a key set), the error is coded
 * `TOKEN_VERIFIER_UNAVAILABLE`: the server closes the client with 1013 (try again later), not as a
 * refused token.
 */
export function createJwksVerification(options: JwksOptions): (token: string) => Promise<VerifiedToken> {
  const { issuer, audience, requireExpiry = true } = options
  if (!issuer || !audience) {
    throw new TypeError(
      'encrypted-socket server: createJwksVerification needs `issuer` and `audience` (the `iss` and `aud` of tokens meant for this server).',
    )
  }
  const algorithms = checkAlgorithms('algorithms', options.algorithms ?? DEFAULT_JWKS_ALGORITHMS)
  const keys = createRemoteJWKSet(checkJwksUrl('url', options.url), {
    ...(options.cacheMaxAge === undefined ? {} : { cacheMaxAge: options.cacheMaxAge }),
    ...(options.cooldown === undefined ? {} : { cooldownDuration: options.cooldown }),
    ...(options.timeout === undefined ? {} : { timeoutDuration: options.timeout }),
    [customFetch]: fetchKeySet,
  })
  return async (token) => {
    const { payload } = await jwtVerify(token, keys, {
      algorithms: [...algorithms],
      issuer,
      audience,
      ...(requireExpiry ? { requiredClaims: ['exp'] } : {}),
    })
    return verifiedClaims(payload)
  }
}

/** The verification of `createJwksVerification`, giving the user id only. */
export function createJwksVerifier(options: JwksOptions): (token: string) => Promise<string> {
  const verify = createJwksVerification(options)
  return async (token) => (await verify(token)).userId
}

/** The `jwks` verification the server options ask for, checked: an error names the option to fix. */
export function jwksFromServerOptions(options: ServerOptions): (token: string) => Promise<VerifiedToken> {
  const { jwks, jwtIssuer: issuer, jwtAudience: audience } = options
  const url = checkJwksUrl('jwks', jwks)
  if (!issuer || !audience) {
    const missing = [
      ...(issuer ? [] : ['`jwtIssuer` (the `iss` your identity provider writes)']),
      ...(audience ? [] : ['`jwtAudience` (the `aud` of tokens meant for this server)']),
    ]
    throw new TypeError(
      `encrypted-socket server: \`jwks\` needs ${missing.join(' and ')}: without them, any token your identity provider signs for any application would be accepted.`,
    )
  }
  if (options.jwtSecret !== undefined) {
    throw new TypeError('encrypted-socket server: pass `jwks` or `jwtSecret`, not both.')
  }
  return createJwksVerification({
    url,
    issuer,
    audience,
    algorithms: checkAlgorithms('jwtAlgorithms', options.jwtAlgorithms ?? DEFAULT_JWKS_ALGORITHMS),
    requireExpiry: !options.allowTokensWithoutExpiry,
    ...duration('jwksCacheMaxAge', 'cacheMaxAge', options.jwksCacheMaxAge),
    ...duration('jwksCooldown', 'cooldown', options.jwksCooldown),
    ...duration('jwksTimeout', 'timeout', options.jwksTimeout),
  })
}

/** The key set's URL: https, or http to a loopback host only (keys fetched in clear can be swapped). */
function checkJwksUrl(name: string, jwks: string | URL | undefined): URL {
  let url: URL
  try {
    url = new URL(jwks ?? '')
  } catch {
    throw new TypeError(
      `encrypted-socket server: \`${name}\` must be the URL of your identity provider’s key set, e.g. https://id.example.com/.well-known/jwks.json.`,
    )
  }
  const loopback = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i.test(url.hostname)
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new TypeError(
      `encrypted-socket server: \`${name}\` must be an https:// URL (http:// only to a loopback host); got ${url.protocol}//${url.host}: whoever can change keys fetched in clear can sign any token.`,
    )
  }
  return url
}

/** `{ [key]: ms }` for a duration option that is set, checked to be a whole number of ms ≥ 0. */
function duration<K extends 'cacheMaxAge' | 'cooldown' | 'timeout'>(
  name: string,
  key: K,
  value: number | undefined,
): Partial<Record<K, number>> {
  if (value === undefined) return {}
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(
      `encrypted-socket server: \`${name}\` must be a whole number of ms ≥ 0; got ${value}.`,
    )
  }
  return { [key]: value } as Partial<Record<K, number>>
}

/** The algorithms, checked: at least one, each asymmetric (a typo, `none` or `HS256` fails at startup). */
function checkAlgorithms(name: string, algorithms: readonly string[]): readonly JwksAlgorithm[] {
  const refused = algorithms.filter((alg) => !JWKS_ALGORITHMS.has(alg))
  if (algorithms.length === 0 || refused.length > 0) {
    throw new TypeError(
      `encrypted-socket server: \`${name}\` must list asymmetric algorithms (${[...JWKS_ALGORITHMS].join(', ')})${
        refused.length > 0 ? `; not ${refused.map((alg) => JSON.stringify(alg)).join(', ')}` : '; got none'
      }.`,
    )
  }
  return algorithms as readonly JwksAlgorithm[]
}

/**
 * jose's fetch, but what fails because of the endpoint (no answer, not a 200, not a key set) is a
 * `VerifierUnavailableError`; a timeout stays a `TimeoutError`, which jose turns into
 * ERR_JWKS_TIMEOUT. The body is read here, under the same timeout.
 */
const fetchKeySet: FetchImplementation = async (url, init) => {
  let response: Response
  let body: string
  try {
    response = await fetch(url, init)
    body = await response.text()
  } catch (error) {
    if (error instanceof Error && error.name === 'TimeoutError') throw error
    throw new VerifierUnavailableError(`JWKS_UNREACHABLE${causeCode(error)}`)
  }
  if (response.status !== 200) throw new VerifierUnavailableError(`JWKS_HTTP_${response.status}`)
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    throw new VerifierUnavailableError('JWKS_NOT_JSON')
  }
  if (!Array.isArray((parsed as { keys?: unknown } | null)?.keys)) {
    throw new VerifierUnavailableError('JWKS_NOT_A_KEY_SET')
  }
  return new Response(body, { status: 200, headers: { 'content-type': 'application/json' } })
}

/** `_ECONNREFUSED` when a fetch failed for a system reason with a code; never a message. */
function causeCode(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined
  const code = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(code) ? `_${code}` : ''
}
