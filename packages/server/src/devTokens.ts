import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SignJWT } from 'jose'
import { isLoopbackHost } from './options'

/** A user name the endpoint signs for: 1..64 word characters, dots or dashes. */
const USER = /^[\w.-]{1,64}$/

export interface DevTokenEndpoint {
  /** `http://<host>:<port>/token`: append `?user=<name>`. */
  url: string
  port: number
  close: () => Promise<void>
}

export interface DevTokenOptions {
  /** The HS256 secret the server verifies with. */
  secret: string
  host: string
  /** 0: any free port. */
  port: number
  issuer?: string
  audience?: string
}

/**
 * A development token endpoint, for the quickstart only: `GET /token?user=<name>` →
 * `{ "token": "<HS256 JWT for sub=name, valid 1 h>" }`, with `Access-Control-Allow-Origin: *` so
 * an app served from another port can fetch it. It hands a token for any user to anyone who can
 * reach it, so it listens on loopback only and refuses any other host (TypeError).
 */
export async function startDevTokenEndpoint(options: DevTokenOptions): Promise<DevTokenEndpoint> {
  const { host, port } = options
  if (!isLoopbackHost(host))
    throw new TypeError(
      `encrypted-socket server: the development token endpoint listens on loopback only, not on ${host}.`,
    )
  const key = new TextEncoder().encode(options.secret)
  const http: Server = createServer((request, response) => {
    response.setHeader('access-control-allow-origin', '*')
    response.setHeader('cache-control', 'no-store')
    const url = new URL(request.url ?? '/', 'http://localhost')
    if (request.method !== 'GET' || url.pathname !== '/token') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('GET /token?user=<name>\n')
      return
    }
    const user = url.searchParams.get('user') ?? ''
    if (!USER.test(user)) {
      response
        .writeHead(400, { 'content-type': 'text/plain' })
        .end('GET /token?user=<name>: 1..64 letters, digits, _ . or -\n')
      return
    }
    let jwt = new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(user).setIssuedAt()
    if (options.issuer) jwt = jwt.setIssuer(options.issuer)
    if (options.audience) jwt = jwt.setAudience(options.audience)
    jwt
      .setExpirationTime('1h')
      .sign(key)
      .then(
        (token) =>
          response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token })),
        () => response.writeHead(500).end(),
      )
  })
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(port, host, () => {
      http.off('error', reject)
      resolve()
    })
  })
  const bound = (http.address() as AddressInfo).port
  const shown = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
  return {
    url: `http://${shown}:${bound}/token`,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections()
        http.close(() => resolve())
      }),
  }
}
