import type { IncomingMessage } from 'node:http'

/**
 * A `clientAddress` for a server behind `hops` proxies you run: the entry `hops` from the end of
 * `X-Forwarded-For` (1: the last one, appended by the proxy in front of the server). Entries
 * before it are written by whoever sent the request, so they are never read. Without enough
 * entries, the socket's address is used.
 */
export function forwardedFor(hops = 1): (request: IncomingMessage) => string | undefined {
  if (!Number.isSafeInteger(hops) || hops < 1) {
    throw new TypeError(`encrypted-socket server: forwardedFor(hops) needs a whole number ≥ 1; got ${hops}.`)
  }
  return (request) => {
    const header = request.headers['x-forwarded-for']
    const entries = (Array.isArray(header) ? header.join(',') : (header ?? ''))
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry.length > 0)
    return entries.length >= hops ? entries[entries.length - hops] : undefined
  }
}
