// What the handshake does with a token: the user id, or the refusal (error code, close code).
import type { HandshakeMode } from './handshakeMode'
import type { TokenVerdict } from './serverOptions'

export interface Refusal {
  /** The `error`'s code: `AUTH_FAILED`, `TOKEN_EXPIRED`… */
  errorCode: string
  message: string
  /** The close code that follows the `error`. */
  code: number
}

export async function verdictOf(
  mode: HandshakeMode,
  token: string,
  verifyToken: (token: string) => TokenVerdict | Promise<TokenVerdict>,
  protocol: 'v1' | 'v2',
): Promise<{ userId: string } | Refusal> {
  if (mode.type === 'reject') {
    // v2 pairs 4401 with TOKEN_EXPIRED (the client retries once with a fresh token).
    const paired = protocol === 'v2' && mode.code === 4401 ? 'TOKEN_EXPIRED' : 'AUTH_FAILED'
    return { errorCode: mode.errorCode ?? paired, message: mode.message, code: mode.code }
  }
  const verdict = await verifyToken(token)
  if (verdict === false) return { errorCode: 'AUTH_FAILED', message: 'Invalid token', code: 1008 }
  if (typeof verdict === 'object') return { errorCode: 'TOKEN_EXPIRED', message: 'Token expired', code: 4401 }
  return { userId: verdict }
}
