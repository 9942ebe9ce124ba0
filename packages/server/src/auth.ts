import { errors, type JWTPayload } from 'jose'
import { createHs256Check } from './hs256'

/** What a verified token says: whose it is, and when it expires (ms since the epoch), if known. */
export interface VerifiedToken {
  userId: string
  expiresAt?: number
}

/**
 * Turns a token into the user id (or `{ userId, expiresAt }`), or throws when the token is not
 * acceptable. Throw an error whose `code` is `'TOKEN_EXPIRED'` (jose's `ERR_JWT_EXPIRED` counts
 * too) for an expired token: a v2 client then retries once with a fresh one. Throw one coded
 * `'TOKEN_VERIFIER_UNAVAILABLE'` (jose's `ERR_JWKS_TIMEOUT` and a failed `fetch` count too) when
 * the token could not be checked at all: the client is closed with 1013 and tries again later.
 */
export type VerifyToken = (token: string) => string | VerifiedToken | Promise<string | VerifiedToken>

export interface Hs256Options {
  secret: string
  /** Required `iss` claim, when set. */
  issuer?: string
  /** Required `aud` claim, when set. */
  audience?: string
  /** Refuse tokens without an `exp` claim. @default true */
  requireExpiry?: boolean
}

/**
 * HS256 JWT verification: the algorithm is pinned (no `none`, no RS/HS confusion), `exp` is
 * required (unless `requireExpiry: false`), `exp` and `nbf` are honoured, and the `sub` claim is
 * the user id. Checked synchronously with node:crypto (`./hs256`), accepting and refusing exactly
 * what jose's `jwtVerify` does, with jose's error codes.
 */
export function createHs256Verifier(options: Hs256Options): (token: string) => Promise<string> {
  const verify = createHs256Verification(options)
  return async (token) => verify(token).userId
}

/** The HS256 verification of `createHs256Verifier`, with the token's expiry; synchronous, throws jose's errors. */
export function createHs256Verification({
  secret,
  issuer,
  audience,
  requireExpiry = true,
}: Hs256Options): (token: string) => VerifiedToken {
  const check = createHs256Check(secret, { requireExpiry, issuer, audience })
  return (token) => verifiedClaims(check(token))
}

/** The user (`sub`) and expiry (`exp`, in ms) of a verified token's claims; throws without a `sub`. */
export function verifiedClaims(payload: JWTPayload): VerifiedToken {
  if (typeof payload.sub !== 'string' || payload.sub.length === 0) {
    throw new ClaimError('ERR_JWT_NO_SUBJECT')
  }
  return payload.exp === undefined
    ? { userId: payload.sub }
    : { userId: payload.sub, expiresAt: payload.exp * 1000 }
}

/** A token that verified but lacks what the server needs. */
class ClaimError extends Error {
  constructor(readonly code: string) {
    super(code)
  }
}

/**
 * The verification could not run (the identity provider's key set is unreachable, times out or
 * answers something that is not a key set): says nothing about the token. `detail` is loggable
 * (`ECONNREFUSED`, `HTTP_503`, …); it never holds the token.
 */
export class VerifierUnavailableError extends Error {
  readonly code = 'TOKEN_VERIFIER_UNAVAILABLE'
  constructor(readonly detail: string) {
    super(`token verification unavailable (${detail})`)
  }
}

/**
 * A loggable reason for a refused token: jose's error code (ERR_JWT_EXPIRED, …), never the token
 * and never a message from a user's `verifyToken`, which could quote it.
 */
export function rejectionReason(error: unknown): string {
  if (error instanceof VerifierUnavailableError) return `${error.code}: ${error.detail}`
  if (error instanceof errors.JOSEError || error instanceof ClaimError) return error.code
  if (isFetchFailure(error)) return `FETCH_FAILED${systemCode((error as Error).cause)}`
  if (codeOf(error) === 'TOKEN_VERIFIER_UNAVAILABLE') return 'TOKEN_VERIFIER_UNAVAILABLE'
  return 'REJECTED_BY_VERIFY_TOKEN'
}

/**
 * Whether a refusal says the token could not be checked now, not that it is bad: jose's
 * ERR_JWKS_TIMEOUT, a failed `fetch` (a `verifyToken` of your own that fetches keys), or an error
 * coded TOKEN_VERIFIER_UNAVAILABLE. The client should try again later.
 */
export function isVerifierUnavailable(error: unknown): boolean {
  const code = codeOf(error)
  return code === 'ERR_JWKS_TIMEOUT' || code === 'TOKEN_VERIFIER_UNAVAILABLE' || isFetchFailure(error)
}

/** undici's `TypeError('fetch failed')`: the request never got an answer. */
function isFetchFailure(error: unknown): boolean {
  return error instanceof TypeError && error.message === 'fetch failed'
}

/** ` (ECONNREFUSED)` for a cause with a system error code, else nothing: never a message. */
function systemCode(cause: unknown): string {
  const code = codeOf(cause)
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(code) ? ` (${code})` : ''
}

function codeOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined
}

/** Whether a refusal says the token expired (jose's ERR_JWT_EXPIRED, or a `verifyToken` error coded TOKEN_EXPIRED). */
export function isTokenExpired(error: unknown): boolean {
  const code = codeOf(error)
  return code === 'ERR_JWT_EXPIRED' || code === 'TOKEN_EXPIRED'
}

/**
 * Why a token was not accepted: `expired` (a fresh one may pass), `invalid` (never), or
 * `unavailable` (it could not be checked now: the identity provider's keys are unreachable).
 */
export type TokenRefusal = 'expired' | 'invalid' | 'unavailable'

/**
 * Runs `verifyToken` and reads what it returned: the user, or why the token was refused, with a
 * loggable reason that never holds the token.
 */
export async function verifyClientToken(
  verifyToken: VerifyToken,
  token: string,
): Promise<{ accepted: VerifiedToken } | { refused: TokenRefusal; reason: string }> {
  try {
    const result = await verifyToken(token)
    const verified = typeof result === 'string' ? { userId: result } : result
    if (typeof verified?.userId !== 'string' || verified.userId.length === 0) throw new Error('no user id')
    const { expiresAt } = verified
    return {
      accepted: Number.isFinite(expiresAt)
        ? { userId: verified.userId, expiresAt }
        : { userId: verified.userId },
    }
  } catch (error) {
    const refused = isVerifierUnavailable(error)
      ? 'unavailable'
      : isTokenExpired(error)
        ? 'expired'
        : 'invalid'
    return { refused, reason: rejectionReason(error) }
  }
}
