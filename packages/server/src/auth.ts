import { errors, jwtVerify } from 'jose'

/** What a verified token says: whose it is, and when it expires (ms since the epoch), if known. */
export interface VerifiedToken {
  userId: string
  expiresAt?: number
}

/**
 * Turns a token into the user id (or `{ userId, expiresAt }`), or throws when the token is not
 * acceptable. Throw an error whose `code` is `'TOKEN_EXPIRED'` (jose's `ERR_JWT_EXPIRED` counts
 * too) for an expired token: a v2 client then retries once with a fresh one.
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
 * HS256 JWT verification with `jose`: the algorithm is pinned (no `none`, no RS/HS confusion),
 * `exp` is required (unless `requireExpiry: false`), `exp` and `nbf` are honoured, and the `sub`
 * claim is the user id.
 */
export function createHs256Verifier(options: Hs256Options): (token: string) => Promise<string> {
  const verify = createHs256Verification(options)
  return async (token) => (await verify(token)).userId
}

/** The HS256 verification of `createHs256Verifier`, with the token's expiry. */
export function createHs256Verification({
  secret,
  issuer,
  audience,
  requireExpiry = true,
}: Hs256Options): (token: string) => Promise<VerifiedToken> {
  // Imported once: jose would import raw bytes again for every token.
  const key = crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['verify'],
  )
  return async (token) => {
    const { payload } = await jwtVerify(token, await key, {
      algorithms: ['HS256'],
      ...(requireExpiry ? { requiredClaims: ['exp'] } : {}),
      ...(issuer === undefined ? {} : { issuer }),
      ...(audience === undefined ? {} : { audience }),
    })
    if (typeof payload.sub !== 'string' || payload.sub.length === 0) {
      throw new ClaimError('ERR_JWT_NO_SUBJECT')
    }
    return payload.exp === undefined
      ? { userId: payload.sub }
      : { userId: payload.sub, expiresAt: payload.exp * 1000 }
  }
}

/** A token that verified but lacks what the server needs. */
class ClaimError extends Error {
  constructor(readonly code: string) {
    super(code)
  }
}

/**
 * A loggable reason for a refused token: jose's error code (ERR_JWT_EXPIRED, …), never the token
 * and never a message from a user's `verifyToken`, which could quote it.
 */
export function rejectionReason(error: unknown): string {
  if (error instanceof errors.JOSEError || error instanceof ClaimError) return error.code
  return 'REJECTED_BY_VERIFY_TOKEN'
}

/** Whether a refusal says the token expired (jose's ERR_JWT_EXPIRED, or a `verifyToken` error coded TOKEN_EXPIRED). */
export function isTokenExpired(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined
  return code === 'ERR_JWT_EXPIRED' || code === 'TOKEN_EXPIRED'
}

/**
 * Runs `verifyToken` and reads what it returned: the user, or why the token was refused. Logs the
 * refusal's reason, never the token.
 */
export async function verifyClientToken(
  verifyToken: VerifyToken,
  token: string,
): Promise<{ accepted: VerifiedToken } | { refused: 'expired' | 'invalid'; reason: string }> {
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
    return { refused: isTokenExpired(error) ? 'expired' : 'invalid', reason: rejectionReason(error) }
  }
}
