import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose'

/** How the local identity provider answers `GET /jwks.json`. */
export type JwksMode = 'up' | 'down' | 'hang' | 'http-503' | 'not-json'

/**
 * A local identity provider's key set on 127.0.0.1 (a free port): serves `keys` while `mode` is
 * `'up'`; otherwise resets the connection (`down`), never answers (`hang`), answers 503, or
 * answers a 200 that is not JSON. `requests` counts the fetches, so tests wait on them.
 */
export async function startJwksServer() {
  const state = { keys: [] as JWK[], mode: 'up' as JwksMode, requests: 0 }
  const server = createServer((request, response) => {
    state.requests++
    if (state.mode === 'down') return request.socket.destroy()
    if (state.mode === 'hang') return
    if (state.mode === 'http-503') return void response.writeHead(503).end('maintenance')
    if (state.mode === 'not-json') return void response.writeHead(200).end('<html>login</html>')
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: state.keys }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}/jwks.json`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  })
}

/** A signing key of the identity provider: its public JWK (with `kid`, `alg`, `use`), and a signer. */
export async function signingKey(alg: 'RS256' | 'ES256' | 'EdDSA' | 'PS256', kid: string) {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true })
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }
  return {
    jwk,
    /** A token signed with this key; `exp` 1 h unless `expiresIn: null`. */
    sign: (
      claims: JWTPayload & { sub?: string },
      { expiresIn = '1h', headerKid = kid }: { expiresIn?: string | null; headerKid?: string } = {},
    ) => {
      let jwt = new SignJWT(claims).setProtectedHeader({ alg, kid: headerKid }).setIssuedAt()
      if (expiresIn !== null) jwt = jwt.setExpirationTime(expiresIn)
      return jwt.sign(privateKey)
    },
  }
}
