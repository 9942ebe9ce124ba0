// The demo backend: @encrypted-socket/server with its demo handlers (protocol v2 to clients that
// offer it, v1 to the others), and an HTTP side that plays two parts: your auth service
// (GET /token?user=ana → a JWT for "ana") and a proxy's view of one connection
// (GET /frames?connection=<id> → its frames as server-sent events, one JSON frame each).
import { createServer } from 'node:http'
import { createEncryptedSocketServer, createJsonLogger } from '@encrypted-socket/server'
import { SignJWT } from 'jose'

export const DEMO_ECDH_INFO = 'encrypted-socket-demo'
/** The frame log keeps the newest frames only: a demo left running must not grow without end. */
const MAX_FRAMES = 2000
/** A v2 record is logged as its length and its first bytes in hex: enough to see, bounded in size. */
const RECORD_PREVIEW_BYTES = 24

/**
 * Starts both; `port: 0` picks free ports. Resolves with their URLs, the frame log and `close()`.
 * Each logged frame is `{ n, connectionId, direction, text }`, plus `record: { length, hex }` for
 * a v2 record (its `text` is then `[binary record, N bytes]`); an `authenticate` frame (v1) has its
 * token replaced by a label.
 */
export async function startDemoServer({ port = 8787, tokenPort = 8788, logLevel = 'warn' } = {}) {
  const secret = new TextEncoder().encode(crypto.randomUUID() + crypto.randomUUID())
  // The newest frames both ways, as a proxy in front of the server would see them, tokens blanked.
  const frames = []
  /** The open /frames streams: the connection each follows, and its response. */
  const followers = new Set()
  let logged = 0
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
      const entry = { n: ++logged, ...withoutToken(logEntry(frame)) }
      frames.push(entry)
      if (frames.length > MAX_FRAMES) frames.splice(0, frames.length - MAX_FRAMES)
      for (const follower of followers)
        if (follower.connectionId === entry.connectionId) push(follower.response, entry)
    },
    logger: createJsonLogger(logLevel),
  })

  const http = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost')
    response.setHeader('access-control-allow-origin', '*')
    if (url.pathname === '/frames') return follow(url.searchParams.get('connection') ?? '', request, response)
    const user = (url.searchParams.get('user') ?? '').trim().slice(0, 32)
    if (url.pathname !== '/token' || !/^[\w.-]+$/.test(user)) {
      response.writeHead(400).end('GET /token?user=<name> or GET /frames?connection=<id>')
      return
    }
    const jwt = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user)
      .setExpirationTime('8h')
      .sign(secret)
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: jwt }))
  })

  /** One connection's frames: those still in the log (after `Last-Event-ID`), then each new one. */
  function follow(connectionId, request, response) {
    if (!/^[\w.:-]{1,100}$/.test(connectionId)) {
      response.writeHead(400).end('GET /frames?connection=<id>')
      return
    }
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' })
    response.flushHeaders()
    const since = Number(request.headers['last-event-id'] ?? 0) || 0
    for (const entry of frames)
      if (entry.connectionId === connectionId && entry.n > since) push(response, entry)
    const follower = { connectionId, response }
    followers.add(follower)
    response.on('close', () => followers.delete(follower))
  }

  await new Promise((resolve) => http.listen(tokenPort, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${http.address().port}`

  return {
    url: server.url,
    tokenUrl: `${origin}/token`,
    framesUrl: `${origin}/frames`,
    server,
    frames,
    close: async () => {
      for (const { response } of followers) response.end()
      http.close()
      await server.close({ timeout: 1000 })
    },
  }
}

/** One event of a /frames stream: its `id` lets a reconnecting EventSource resume after it. */
function push(response, entry) {
  response.write(`id: ${entry.n}\ndata: ${JSON.stringify(entry)}\n\n`)
}

/** A frame as the log keeps it: JSON-friendly, a record as its length and a hex preview. */
function logEntry({ connectionId, direction, text, binary }) {
  if (!binary) return { connectionId, direction, text }
  const hex = Buffer.from(binary.subarray(0, RECORD_PREVIEW_BYTES)).toString('hex')
  return { connectionId, direction, text, record: { length: binary.length, hex } }
}

/** An `authenticate` frame with its token replaced by a label naming the user: the log never holds a token. */
function withoutToken(frame) {
  if (frame.direction !== 'in' || !frame.text.startsWith('{"event":"authenticate"')) return frame
  try {
    const { data } = JSON.parse(frame.text)
    const claims = JSON.parse(Buffer.from(String(data.token).split('.')[1] ?? '', 'base64url').toString())
    const text = JSON.stringify({
      event: 'authenticate',
      data: { ...data, token: `[token of ${claims.sub}]` },
    })
    return { ...frame, text }
  } catch {
    return { ...frame, text: '{"event":"authenticate","data":"[unreadable]"}' }
  }
}
