// Why a WebSocket never opened, told apart as far as the platform lets us see. Browsers say
// nothing (close 1006, no detail); Node's `ws` gives the error that stopped it, which tells a TLS
// or scheme mismatch and an HTTP answer from a closed port.
import { EncryptedSocketError, type ErrorCode } from '../errors'

/** Close code the server uses for a browser `Origin` it does not allow (the upgrade is closed at once). */
export const ORIGIN_REFUSED_CLOSE = 4430

/** What comes of an attempt that never opened: retried by the policy, or given up. */
export interface OpenFailure {
  error: EncryptedSocketError
  retry: boolean
}

/** The URL without query or fragment, where a token might be. */
export function safeUrl(url: string): string {
  try {
    const { protocol, host, pathname } = new URL(url)
    return `${protocol}//${host}${pathname}`
  } catch {
    return 'the WebSocket URL'
  }
}

/**
 * Why the socket closed before it opened, from `ws`'s error text (empty in browsers); `scrub`
 * takes the token out of any text shown.
 */
export function openFailure(url: string, detail: string, scrub: (text: string) => string): OpenFailure {
  const where = safeUrl(url)
  const final = (code: ErrorCode, text: string) => ({
    retry: false,
    error: new EncryptedSocketError(code, text),
  })
  if (/wrong version number|EPROTO|packet length too long/i.test(detail)) {
    return final(
      'ERR_TLS',
      __DEV__ ? `${where} has no TLS: use ws://, or put TLS in front of the server.` : `${where} has no TLS.`,
    )
  }
  if (/certificate|self[- ]signed|unable to verify|CERT_/i.test(detail)) {
    return final(
      'ERR_TLS',
      __DEV__
        ? `${where}: TLS certificate refused (${scrub(detail)}); use one the client trusts.`
        : `${where}: TLS certificate refused.`,
    )
  }
  const status = /Unexpected server response: (\d+)/.exec(detail)?.[1]
  if (status === '426')
    return final(
      'ERR_PROTOCOL_VERSION',
      __DEV__
        ? `${where} requires protocol v2 (HTTP 426): drop protocol: 'v1'.`
        : `${where} requires protocol v2.`,
    )
  const cause = status
    ? `HTTP ${status}, not an upgrade: check the URL's path`
    : /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|E\w*UNREACH|ETIMEDOUT|ECONNRESET|socket hang up/.exec(detail)?.[0]
  return {
    retry: true,
    error: new EncryptedSocketError(
      'ERR_UNREACHABLE',
      __DEV__
        ? `Cannot reach ${where}${cause ? ` (${cause})` : ''}: check that the server runs, the host, port and scheme (wss:// needs TLS). Retrying.`
        : `Cannot reach ${where}.`,
      { closeCode: 1006 },
    ),
  }
}

/** The server closed the upgrade at once because it does not allow this page's `Origin`. */
export function originRefused(): EncryptedSocketError {
  const origin = (globalThis as { location?: { origin?: string } }).location?.origin
  return new EncryptedSocketError(
    'ERR_ORIGIN_REFUSED',
    __DEV__
      ? `The server refuses this page's Origin${origin ? ` (${origin})` : ''}: add it to its origins option (CLI --origin).`
      : 'The server refuses this Origin.',
    { closeCode: ORIGIN_REFUSED_CLOSE },
  )
}

/** `new WebSocket()` threw: a mixed-content `ws://` from an https:// page, or a malformed URL. */
export function constructFailure(url: string, cause: unknown): EncryptedSocketError {
  const secure = (globalThis as { location?: { protocol?: string } }).location?.protocol === 'https:'
  if (secure && url.startsWith('ws:')) {
    return new EncryptedSocketError(
      'ERR_TLS',
      __DEV__
        ? 'An https:// page cannot open ws:// (mixed content): use wss://.'
        : 'Mixed content: use wss://.',
      { cause },
    )
  }
  return new EncryptedSocketError('ERR_CONNECTION_CLOSED', `new WebSocket(${safeUrl(url)}) failed.`, {
    cause,
  })
}
