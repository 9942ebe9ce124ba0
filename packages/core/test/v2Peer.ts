import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import {
  createEphemeralKeys,
  deriveRecordKeys,
  deriveSharedSecret,
  encodeRecordPlaintext,
  encodeWelcome,
  importPeerPublicKey,
  openRecord,
  parseHello,
  PROTOCOL_V2,
  readMessage,
  sealRecord,
  signTranscript,
  transcriptHash,
  welcomeSignedBytes,
  type ClientMessage,
  type RecordKeys,
} from '../src/index'

/**
 * A small protocol v2 server on a real `ws` socket for the client's tests (the full server is
 * @encrypted-socket/server), with the faults a proxy could inject. Tokens "expired…" get
 * TOKEN_EXPIRED + 4401, tokens "bad…" AUTH_FAILED + 1008. `echo` is answered with `echo.reply`.
 */
export interface V2PeerOptions {
  /** The peer's ecdhInfo (another one than the client's makes the keys differ). */
  ecdhInfo: string
  identity?: { privateKey: CryptoKey; publicKey: Uint8Array<ArrayBuffer> }
  /** Rewrites the welcome's fields before it is sent (a bad or stale welcome). */
  welcome?: (fields: Record<string, unknown>) => string
  /** Sends nothing at all after the upgrade. */
  silent?: (connectionIndex: number) => boolean
  heartbeat?: number
  /** The welcome's validUntil, from now, in ms. @default 120000 */
  validFor?: number
  /** Rooms to refuse with `denied` (FORBIDDEN). */
  deny?: (room: string) => boolean
  /** Answers pings (default true); false is a dead connection that still looks open. */
  answerPings?: boolean
  /** Answers a request (a `msg` with `id`); 'hang' never answers. @default echoes `{ echo: data }` */
  onRequest?: (
    event: string,
    data: unknown,
  ) => { data?: unknown } | { error: { code: string; message: string } } | 'hang'
  /** Whether a known session may be resumed. @default true */
  resumable?: boolean
  /** Acknowledges client messages (default true); false leaves every send waiting. */
  acknowledge?: boolean
}

/** A session as the peer keeps it across connections: what it processed and what it sent. */
export interface PeerSession {
  id: string
  /** The last client seq processed. */
  processed: number
  /** The session stream: every numbered message sent, with its seq. */
  stream: { message: Record<string, unknown>; attachment?: Uint8Array }[]
  /** The last session-stream seq the client acknowledged. */
  acked: number
}

export interface V2PeerConnection {
  socket: WebSocket
  /** The subprotocols the client offered. */
  offered: string[]
  /** Every frame the client sent, as bytes (what a proxy sees). */
  wire: Buffer[]
  /** Every message the client sent, opened. */
  received: ClientMessage[]
  token: string | null
  keys: RecordKeys | null
  /** Seals the next s2c record (taking its counter) without sending it. */
  seal(message: Record<string, unknown>, attachment?: Uint8Array): Promise<Buffer>
  send(message: Record<string, unknown>, attachment?: Uint8Array): Promise<void>
  /** The session this connection serves, once authenticated. */
  session: PeerSession | null
  /** Sends a message on the session stream (numbered, kept for a resume). */
  push(message: Record<string, unknown>, attachment?: Uint8Array): Promise<void>
}

export async function startV2Peer(options: V2PeerOptions) {
  const server = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    handleProtocols: (offered) => (offered.has(PROTOCOL_V2) ? PROTOCOL_V2 : false),
  })
  await new Promise<void>((resolve) => server.once('listening', resolve))
  const connections: V2PeerConnection[] = []
  const waiters: (() => void)[] = []
  const sessions = new Map<string, PeerSession>()
  /** Idempotency keys processed, with a request's original answer. */
  const processedKeys = new Map<string, Record<string, unknown> | null>()

  server.on('connection', (socket, request) => {
    const index = connections.length
    let sent = 0
    let received = 0
    let keys: RecordKeys | null = null
    const connection: V2PeerConnection = {
      socket,
      offered: (request.headers['sec-websocket-protocol'] ?? '')
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean),
      wire: [],
      received: [],
      token: null,
      get keys() {
        return keys
      },
      seal: async (message, attachment) =>
        Buffer.from(
          await sealRecord(keys!.s2c, sent++, encodeRecordPlaintext(JSON.stringify(message), attachment)),
        ),
      send: async (message, attachment) => {
        const record = await connection.seal(message, attachment)
        if (socket.readyState === socket.OPEN) socket.send(record)
      },
      session: null,
      push: async (message, attachment) => {
        const session = connection.session!
        const numbered = { ...message, seq: session.stream.length + 1 }
        session.stream.push({ message: numbered, ...(attachment ? { attachment } : {}) })
        await connection.send(numbered, attachment)
      },
    }
    connections.push(connection)
    for (const wake of waiters.splice(0)) wake()
    if (options.silent?.(index)) return
    let queue = Promise.resolve()
    const welcomeReady = makeWelcome(options).then((welcome) => {
      socket.send(welcome.text)
      return welcome
    })
    socket.on('message', (raw, isBinary) => {
      const bytes = Buffer.isBuffer(raw) ? raw : Buffer.concat(raw as Buffer[])
      connection.wire.push(bytes)
      queue = queue.then(async () => {
        const welcome = await welcomeReady
        if (!isBinary) {
          const clientKey = parseHello(bytes.toString('utf8'))
          if (!clientKey || keys) return socket.close(4001, 'Bad hello')
          const shared = await deriveSharedSecret(welcome.privateKey, await importPeerPublicKey(clientKey))
          keys = await deriveRecordKeys(
            shared,
            welcome.salt,
            await transcriptHash(welcome.text, clientKey),
            options.ecdhInfo,
          )
          return
        }
        if (!keys) return socket.close(4001, 'Record before hello')
        const n = received++
        let plaintext: Uint8Array<ArrayBuffer>
        try {
          plaintext = await openRecord(keys.c2s, n, new Uint8Array(bytes))
        } catch {
          return socket.close(4001, `Record ${n} did not open`)
        }
        const read = readMessage(plaintext, 'client')
        if (read.type !== 'message') return socket.close(4001, 'Bad message')
        connection.received.push(read.message)
        await answer(connection, read.message, index)
      })
    })
  })

  async function answer(connection: V2PeerConnection, message: ClientMessage, index: number): Promise<void> {
    const { socket } = connection
    switch (message.t) {
      case 'auth':
        connection.token = message.token
        if (message.token.startsWith('expired')) {
          await connection.send({ t: 'error', code: 'TOKEN_EXPIRED', message: 'Token expired' })
          return socket.close(4401, 'Token expired')
        }
        if (message.token.startsWith('bad')) {
          await connection.send({ t: 'error', code: 'AUTH_FAILED', message: 'Authentication failed' })
          return socket.close(1008, 'Authentication failed')
        }
        return startSession(connection, message.resume, index)
      case 'ping':
        if (options.answerPings === false) return
        return connection.send({ t: 'pong', n: message.n })
      case 'msg':
        return receiveMsg(connection, message)
      case 'ack':
        if (connection.session) connection.session.acked = Math.max(connection.session.acked, message.seq)
        return
      case 'join':
        if (options.deny?.(message.room)) {
          return connection.send({
            t: 'denied',
            room: message.room,
            code: 'FORBIDDEN',
            message: 'Not your desk',
          })
        }
        return connection.send({ t: 'joined', room: message.room, epoch: 'e1', seq: 0 })
      default:
        return
    }
  }

  async function startSession(
    connection: V2PeerConnection,
    resume: { session: string; seq: number } | undefined,
    index: number,
  ): Promise<void> {
    const known = resume ? sessions.get(resume.session) : undefined
    const resumed = known !== undefined && options.resumable !== false && resume!.seq <= known.stream.length
    const session = resumed ? known : { id: `s${index}`, processed: 0, stream: [], acked: 0 }
    sessions.set(session.id, session)
    connection.session = session
    await connection.send({
      t: 'ready',
      id: `c${index}`,
      userId: 'u1',
      session: session.id,
      resumed,
      seq: session.processed,
      rooms: {},
      heartbeat: options.heartbeat ?? 20_000,
    })
    if (!resumed) return
    for (const { message, attachment } of session.stream.slice(resume!.seq))
      await connection.send(message, attachment)
  }

  /** A client `msg`: processed once per seq (and per idempotency key), acknowledged at once. */
  async function receiveMsg(
    connection: V2PeerConnection,
    message: Extract<ClientMessage, { t: 'msg' }>,
  ): Promise<void> {
    const session = connection.session!
    const seq = message.seq ?? 0
    if (seq > session.processed + 1) return connection.socket.close(4001, 'Seq skips ahead')
    if (seq === session.processed + 1) {
      session.processed = seq
      const seen = message.key !== undefined ? processedKeys.get(message.key) : undefined
      if (seen !== undefined && message.id !== undefined && seen) {
        await connection.push({ ...seen, id: message.id })
      } else if (seen === undefined) {
        const answer = await process(connection, message)
        if (message.key !== undefined) processedKeys.set(message.key, answer ?? null)
      }
    }
    if (options.acknowledge !== false) await connection.send({ t: 'ack', seq: session.processed })
  }

  /** Echoes `echo`, answers requests; returns a request's answer (what a repeated key gets again). */
  async function process(
    connection: V2PeerConnection,
    message: Extract<ClientMessage, { t: 'msg' }>,
  ): Promise<Record<string, unknown> | undefined> {
    if (message.id !== undefined) {
      const answer = options.onRequest
        ? options.onRequest(message.event, message.data)
        : { data: { echo: message.data } }
      if (answer === 'hang') return undefined
      const res = { t: 'res', ...answer }
      await connection.push({ ...res, id: message.id })
      return res
    }
    if (message.event === 'echo') {
      const binary = message.data instanceof Uint8Array
      await connection.send(
        binary
          ? { t: 'msg', event: 'echo.reply', bin: true }
          : { t: 'msg', event: 'echo.reply', data: message.data },
        binary ? (message.data as Uint8Array) : undefined,
      )
    }
    return undefined
  }

  async function makeWelcome({ identity, welcome, validFor = 120_000 }: V2PeerOptions) {
    const keys = await createEphemeralKeys()
    const salt = crypto.getRandomValues(new Uint8Array(32))
    const validUntil = Date.now() + validFor
    const signature = identity
      ? await signTranscript(identity.privateKey, welcomeSignedBytes(keys.publicKey, salt, validUntil))
      : undefined
    const fields = {
      serverPublicKey: keys.publicKey,
      salt,
      validUntil,
      identityKey: identity?.publicKey,
      signature,
    }
    const text = welcome ? welcome(fields) : encodeWelcome(fields)
    return { text, privateKey: keys.privateKey, salt }
  }

  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections,
    sessions,
    /** Resolves once the client made its `count`th connection. */
    connection: async (count: number): Promise<V2PeerConnection> => {
      while (connections.length < count) await new Promise<void>((resolve) => waiters.push(resolve))
      return connections[count - 1]!
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.clients.forEach((socket) => socket.terminate())
        server.close(() => resolve())
      }),
  }
}
