import { errors, jwtVerify } from 'jose'

/** Turns a token into the user id, or throws when the token is not acceptable. */
export type VerifyToken = (token: string) => string | Promise<string>

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
export function createHs256Verifier({
  secret,
  issuer,
  audience,
  requireExpiry = true,
}: Hs256Options): VerifyToken {
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
    return payload.sub
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
