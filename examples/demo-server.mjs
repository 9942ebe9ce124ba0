// The demo backend: @encrypted-socket/server with its demo handlers, and a token endpoint that
// plays the part of your auth service (GET /token?user=ana → a JWT for "ana").
import { createServer } from 'node:http'
import { createEncryptedSocketServer, createJsonLogger } from '@encrypted-socket/server'
import { SignJWT } from 'jose'

export const DEMO_ECDH_INFO = 'encrypted-socket-demo'

/** Starts both; `port: 0` picks free ports. Resolves with their URLs, a frame log and `close()`. */
export async function startDemoServer({ port = 8787, tokenPort = 8788, logLevel = 'warn' } = {}) {
  const secret = new TextEncoder().encode(crypto.randomUUID() + crypto.randomUUID())
  const frames = [] // every frame both ways, as a proxy in front of the server would see them
  const server = await createEncryptedSocketServer({
    port,
    ecdhInfo: DEMO_ECDH_INFO,
    verifyToken: async (token) => {
      const { jwtVerify } = await import('jose')
      const { payload } = await jwtVerify(token, secret, { algorithms: ['HS256'] })
      return String(payload.sub)
    },
    demo: true,
    onFrame: (frame) => frames.push(frame),
    logger: createJsonLogger(logLevel),
  })

  const tokens = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost')
    const user = (url.searchParams.get('user') ?? '').trim().slice(0, 32)
    response.setHeader('access-control-allow-origin', '*')
    if (url.pathname !== '/token' || !/^[\w.-]+$/.test(user)) {
      response.writeHead(400).end('GET /token?user=<name>')
      return
    }
    const jwt = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user)
      .setExpirationTime('8h')
      .sign(secret)
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: jwt }))
  })
  await new Promise((resolve) => tokens.listen(tokenPort, '127.0.0.1', resolve))

  return {
    url: server.url,
    tokenUrl: `http://127.0.0.1:${tokens.address().port}/token`,
    server,
    frames,
    close: async () => {
      tokens.close()
      await server.close({ timeout: 1000 })
    },
  }
}
