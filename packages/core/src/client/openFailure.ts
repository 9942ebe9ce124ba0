// Why a WebSocket never opened, told apart as far as the platform lets us see. Browsers say
// nothing (close 1006, no detail); Node's `ws` gives the error that stopped it, which tells a TLS
// or scheme mismatch and an HTTP answer from a closed port.
import { EncryptedSocketError } from '../errors'

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
  if (/wrong version number|EPROTO|packet length too long|http request/i.test(detail)) {
    return {
      retry: false,
      error: new EncryptedSocketError(
        'ERR_TLS',
        `${where} answered without TLS: the server is plain ws://. Use wss:// only with TLS in front of the server. Not retried.`,
      ),
    }
  }
  if (/certificate|self[- ]signed|unable to verify|CERT_|ERR_TLS/i.test(detail)) {
    return {
      retry: false,
      error: new EncryptedSocketError(
        'ERR_TLS',
        `The TLS certificate of ${where} was refused (${scrub(detail)}): give the server a certificate the client trusts (Node: NODE_EXTRA_CA_CERTS). Not retried.`,
      ),
    }
  }
  const status = /Unexpected server response: (\d+)/.exec(detail)?.[1]
  if (status === '426') {
    return {
      retry: false,
      error: new EncryptedSocketError(
        'ERR_PROTOCOL_VERSION',
        `${where} requires protocol v2 (HTTP 426): remove protocol: 'v1' from the options.`,
      ),
    }
  }
  if (status !== undefined) {
    return {
      retry: true,
      error: new EncryptedSocketError(
        'ERR_UNREACHABLE',
        `${where} answered HTTP ${status} instead of a WebSocket upgrade: check the URL's path, and the server's log. Retrying.`,
      ),
    }
  }
  const cause =
    /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|ECONNRESET|socket hang up/.exec(
      detail,
    )?.[0]
  return {
    retry: true,
    error: new EncryptedSocketError(
      'ERR_UNREACHABLE',
      cause
        ? `Could not reach ${where} (${cause}): is the server running, and are the host and port right?${cause === 'socket hang up' ? ' A TLS server needs wss://.' : ''} Retrying.`
        : `Could not open ${where}: the server is down or unreachable, the host or port is wrong, or the scheme does not match the server (wss:// needs TLS; ws:// has none). Retrying.`,
      { closeCode: 1006 },
    ),
  }
}

/** The server closed the upgrade at once because it does not allow this page's `Origin`. */
export function originRefused(): EncryptedSocketError {
  const origin = (globalThis as { location?: { origin?: string } }).location?.origin
  return new EncryptedSocketError(
    'ERR_ORIGIN_REFUSED',
    `The server does not allow this page's Origin${origin ? ` (${origin})` : ''}: add it to the server's \`origins\` option (CLI --origin). Not retried.`,
    { closeCode: ORIGIN_REFUSED_CLOSE },
  )
}

/** `new WebSocket()` threw: a mixed-content `ws://` from an https:// page, or a malformed URL. */
export function constructFailure(url: string, cause: unknown): EncryptedSocketError {
  const secure = (globalThis as { location?: { protocol?: string } }).location?.protocol === 'https:'
  if (secure && url.startsWith('ws:')) {
    return new EncryptedSocketError(
      'ERR_TLS',
      'An https:// page may not open a ws:// socket (mixed content): use wss:// and TLS on the server.',
      { cause },
    )
  }
  return new EncryptedSocketError('ERR_CONNECTION_CLOSED', `new WebSocket(${safeUrl(url)}) failed.`, {
    cause,
  })
}
