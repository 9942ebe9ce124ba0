import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto'
import { errors, type JWTPayload } from 'jose'

/**
 * A synchronous HS256 JWT check with node:crypto that accepts and refuses exactly what jose's
 * `jwtVerify(token, hmacKey, { algorithms: ['HS256'], requiredClaims?, issuer?, audience? })`
 * does, in the same order, throwing jose's own error classes (so `code` is ERR_JWS_INVALID,
 * ERR_JOSE_ALG_NOT_ALLOWED, ERR_JWS_SIGNATURE_VERIFICATION_FAILED, ERR_JWT_EXPIRED, …). jose
 * costs a Web Crypto key preparation and a thread-pool hop per token; this is one HMAC.
 * `test/hs256Differential.test.ts` fuzzes the two against each other.
 */
export interface Hs256Check {
  /** Refuse tokens without an `exp` claim (jose's `requiredClaims: ['exp']`). */
  requireExpiry: boolean
  /** Required `iss`, when set. */
  issuer?: string
  /** Required `aud` (a string `aud` equal to it, or an array holding it), when set. */
  audience?: string
}

// jose decodes JSON with a fatal UTF-8 decoder that strips a leading BOM: the same one here.
const strictDecoder = new TextDecoder('utf-8', { fatal: true })
const looseDecoder = new TextDecoder()
const BASE64URL = /^[A-Za-z0-9_-]*$/
const NON_ASCII = /[^\x00-\x7f]/

/** The claims of a valid token (header `alg` HS256, signature, `exp`/`nbf`/`iat`, `iss`, `aud`); throws jose's errors otherwise. */
export function createHs256Check(secret: string, check: Hs256Check): (token: string) => JWTPayload {
  const keyBytes = new TextEncoder().encode(secret)
  // Web Crypto refuses a zero-length HMAC key, so jose refused every token: so does this.
  const key: KeyObject | null = keyBytes.length === 0 ? null : createSecretKey(keyBytes)
  const presence = [
    check.issuer === undefined ? null : 'iss',
    check.audience === undefined ? null : 'aud',
    check.requireExpiry ? 'exp' : null,
  ].filter((claim): claim is string => claim !== null)
  return (token) => {
    if (key === null) throw new TypeError('HS256 verification needs a non-empty secret')
    const compact =
      (token as unknown) instanceof Uint8Array ? looseDecoder.decode(token as unknown as Uint8Array) : token
    if (typeof compact !== 'string') throw new errors.JWSInvalid('Compact JWS must be a string or Uint8Array')
    const parts = compact.split('.')
    if (parts.length !== 3) throw new errors.JWSInvalid('Invalid Compact JWS')
    const [encodedHeader, encodedPayload, encodedSignature] = parts as [string, string, string]

    const header = parseHeader(encodedHeader)
    const b64 = unencodedPayloadFlag(header)
    const { alg } = header
    if (typeof alg !== 'string' || !alg) {
      throw new errors.JWSInvalid('JWS "alg" (Algorithm) Header Parameter missing or invalid')
    }
    if (alg !== 'HS256')
      throw new errors.JOSEAlgNotAllowed('"alg" (Algorithm) Header Parameter value not allowed')
    if (NON_ASCII.test(encodedPayload)) {
      throw new errors.JWSInvalid('JWS Compact Serialization payload must use only ASCII characters')
    }
    const signature = decodeBase64url(encodedSignature, 'signature')
    // Header (base64url, so ASCII) + '.' + an ASCII payload: latin1 is their bytes.
    const mac = createHmac('sha256', key)
      .update(compact.slice(0, encodedHeader.length + 1 + encodedPayload.length), 'latin1')
      .digest()
    if (signature.length !== mac.length || !timingSafeEqual(signature, mac)) {
      throw new errors.JWSSignatureVerificationFailed()
    }
    if (!b64) throw new errors.JWTInvalid('JWTs MUST NOT use unencoded payload')
    return validateClaims(decodeBase64url(encodedPayload, 'payload'), presence, check)
  }
}

/** jose's `validateCrit` + `validateB64` for a compact JWS (only `b64` is a recognised extension). */
function unencodedPayloadFlag(header: Record<string, unknown>): boolean {
  const { crit } = header
  if (crit === undefined) return true
  if (
    !Array.isArray(crit) ||
    crit.length === 0 ||
    crit.some((name) => typeof name !== 'string' || name.length === 0)
  ) {
    throw new errors.JWSInvalid(
      '"crit" (Critical) Header Parameter MUST be an array of non-empty strings when present',
    )
  }
  for (const name of crit as string[]) {
    if (name !== 'b64')
      throw new errors.JOSENotSupported(`Extension Header Parameter "${name}" is not recognized`)
    if (!Object.hasOwn(header, 'b64'))
      throw new errors.JWSInvalid(`Extension Header Parameter "${name}" is missing`)
  }
  if (typeof header.b64 !== 'boolean') {
    throw new errors.JWSInvalid('The "b64" (base64url-encode payload) Header Parameter must be a boolean')
  }
  return header.b64
}

/** jose's `validateClaimsSet` with the options above, clock tolerance 0. */
function validateClaims(bytes: Uint8Array, presence: readonly string[], check: Hs256Check): JWTPayload {
  let claims: unknown
  try {
    claims = JSON.parse(strictDecoder.decode(bytes))
  } catch (cause) {
    throw new errors.JWTInvalid('JWT Claims Set must be a top-level JSON object', { cause })
  }
  if (!isPlainObject(claims)) throw new errors.JWTInvalid('JWT Claims Set must be a top-level JSON object')
  const set = claims as JWTPayload
  for (const claim of presence) {
    if (!Object.hasOwn(set, claim)) {
      throw new errors.JWTClaimValidationFailed(`missing required "${claim}" claim`, set, claim, 'missing')
    }
  }
  if (check.issuer !== undefined && set.iss !== check.issuer) unexpected(set, 'iss')
  if (check.audience !== undefined && !hasAudience(set.aud, check.audience)) unexpected(set, 'aud')
  const now = Math.floor(Date.now() / 1000)
  numericDate(set, 'iat')
  const nbf = numericDate(set, 'nbf')
  if (nbf !== undefined && nbf > now) {
    throw new errors.JWTClaimValidationFailed(
      '"nbf" claim timestamp check failed',
      set,
      'nbf',
      'check_failed',
    )
  }
  const exp = numericDate(set, 'exp')
  if (exp !== undefined && exp <= now) {
    throw new errors.JWTExpired('"exp" claim timestamp check failed', set, 'exp', 'check_failed')
  }
  return set
}

function hasAudience(aud: unknown, audience: string): boolean {
  return typeof aud === 'string' ? aud === audience : Array.isArray(aud) && aud.includes(audience)
}

function unexpected(set: JWTPayload, claim: string): never {
  throw new errors.JWTClaimValidationFailed(`unexpected "${claim}" claim value`, set, claim, 'check_failed')
}

function numericDate(set: JWTPayload, claim: 'iat' | 'nbf' | 'exp'): number | undefined {
  const value: unknown = set[claim]
  if (value === undefined) return undefined
  if (typeof value !== 'number') {
    throw new errors.JWTClaimValidationFailed(`"${claim}" claim must be a number`, set, claim, 'invalid')
  }
  return value
}

/** jose's `isObject`: a plain object (what JSON.parse makes of `{…}`), not an array or null. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (
    typeof value !== 'object' ||
    value === null ||
    Object.prototype.toString.call(value) !== '[object Object]'
  ) {
    return false
  }
  const prototype = Object.getPrototypeOf(value)
  return prototype === null || Object.getPrototypeOf(prototype) === null
}

/** The protected header as jose parses it: base64url-decoded, fatal UTF-8, JSON, a plain object. */
function parseHeader(encoded: string): Record<string, unknown> {
  let parsed: unknown
  try {
    parsed = JSON.parse(strictDecoder.decode(base64url(encoded)))
  } catch (cause) {
    throw new errors.JWSInvalid('JWS Protected Header is invalid', { cause })
  }
  if (!isPlainObject(parsed)) throw new errors.JWSInvalid('JWS Protected Header is invalid')
  return parsed
}

function decodeBase64url(encoded: string, label: string): Uint8Array {
  try {
    return base64url(encoded)
  } catch (cause) {
    throw new errors.JWSInvalid(`Failed to base64url decode the ${label}`, { cause })
  }
}

/**
 * jose's base64url decoding on this runtime: `Uint8Array.fromBase64` where it exists, else `atob`
 * after swapping `-_` for `+/` (and refusing `+` and `/`), which also allows whitespace and
 * padding. The common case (only base64url letters, a length atob accepts) decodes in one call.
 */
function base64url(encoded: string): Uint8Array {
  if (encoded.length % 4 !== 1 && BASE64URL.test(encoded)) return Buffer.from(encoded, 'base64url')
  const fromBase64 = (Uint8Array as { fromBase64?: (s: string, o: { alphabet: string }) => Uint8Array })
    .fromBase64
  if (fromBase64) return fromBase64(encoded, { alphabet: 'base64url' })
  if (encoded.includes('+') || encoded.includes('/')) throw new TypeError('Invalid base64url')
  return Buffer.from(atob(encoded.replace(/-/g, '+').replace(/_/g, '/')), 'latin1')
}
