// The demo backend: @encrypted-socket/server with its demo handlers, and a token endpoint that
// plays the part of your auth service (GET /token?user=ana → a JWT for "ana").
import { createServer } from 'node:http'
import { createEncryptedSocketServer, createJsonLogger } from '@encrypted-socket/server'
import { SignJWT } from 'jose'

export const DEMO_ECDH_INFO = 'encrypted-socket-demo'
/** The frame log keeps the newest frames only: a demo left running must not grow without end. */
const MAX_FRAMES = 2000

/** Starts both; `port: 0` picks free ports. Resolves with their URLs, a frame log and `close()`. */
export async function startDemoServer({ port = 8787, tokenPort = 8788, logLevel = 'warn' } = {}) {
  const secret = new TextEncoder().encode(crypto.randomUUID() + crypto.randomUUID())
  // The newest frames both ways, as a proxy in front of the server would see them, tokens blanked.
  const frames = []
  const server = await createEncryptedSocketServer({
    port,
    ecdhInfo: DEMO_ECDH_INFO,
    verifyToken: async (token) => {
      const { jwtVerify } = await import('jose')
      const { payload } = await jwtVerify(token, secret, { algorithms: ['HS256'], requiredClaims: ['exp'] })
      return String(payload.sub)
    },
    demo: true,
    onFrame: (frame) => {
      frames.push(withoutToken(frame))
      if (frames.length > MAX_FRAMES) frames.splice(0, frames.length - MAX_FRAMES)
    },
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

/** An `authenticate` frame with its token replaced by a label naming the user: the log never holds a token. */
function withoutToken(frame) {
  if (frame.direction !== 'in' || !frame.text.startsWith('{"event":"authenticate"')) return frame
  try {
    const { data } = JSON.parse(frame.text)
    const claims = JSON.parse(Buffer.from(String(data.token).split('.')[1] ?? '', 'base64url').toString())
    const text = JSON.stringify({ event: 'authenticate', data: { ...data, token: `[token of ${claims.sub}]` } })
    return { ...frame, text }
  } catch {
    return { ...frame, text: '{"event":"authenticate","data":"[unreadable]"}' }
  }
}
