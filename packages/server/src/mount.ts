import type { IncomingMessage, Server as HttpServer } from 'node:http'
import { Server as HttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'

/** An application's HTTP or HTTPS server, as `attach` takes it. */
export type AppHttpServer = HttpServer | HttpsServer

/** Where the encrypted socket lives on an application's server. */
export interface AttachOptions {
  /**
   * The path of the upgrade requests this server takes (the query string is ignored). Upgrades to
   * any other path are left to the application's other listeners (e.g. Next.js HMR). @default '/'
   */
  path?: string
}

/** The path `attach` uses, checked: absolute, without a query or a fragment. */
export function mountPath(options: AttachOptions): string {
  const path = options.path ?? '/'
  if (!path.startsWith('/') || /[?#]/.test(path))
    throw new TypeError(
      `encrypted-socket server: attach path must start with "/" and have no "?" or "#"; got "${path}".`,
    )
  return path
}

/** Whether an upgrade request is for `path` (exactly, query ignored). */
export function isForPath(request: IncomingMessage, path: string): boolean {
  const url = request.url ?? '/'
  const end = url.search(/[?#]/)
  return (end === -1 ? url : url.slice(0, end)) === path
}

/** `ws://host:port/path` (`wss://` for an HTTPS server) once the server listens on TCP, else null. */
export function socketUrl(server: AppHttpServer, path: string): string | null {
  const address = server.address()
  if (address === null || typeof address === 'string') return null
  const { address: ip, family, port } = address as AddressInfo
  const host = family === 'IPv6' ? `[${ip}]` : ip
  return `${server instanceof HttpsServer ? 'wss' : 'ws'}://${host}:${port}${path === '/' ? '' : path}`
}
