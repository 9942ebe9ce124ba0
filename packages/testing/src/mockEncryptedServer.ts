import {
  createEphemeralKeys,
  deriveSessionKey,
  encodeFrame,
  parseFrame,
  sealMessage,
  type ApplicationMessage,
} from '@encrypted-socket/core'
import { Server, type Client } from 'mock-socket'
import { MockConnection, type HandshakeMode, type ReceivedEvent } from './mockConnection'

export interface MockServerOptions {
  /** The HKDF info string, the same as the client's `ecdhInfo`. */
  ecdhInfo: string
  /**
   * Verifies a token: return the user id, or `false` to reject it (an `error` frame, then close
   * 1008). @default every token is accepted, and the user id is "user"
   */
  verifyToken?: (token: string) => string | false | Promise<string | false>
  /** Called with every decrypted application event, e.g. to answer it with `connection.send()`. */
  onEvent?: (connection: MockConnection, message: ApplicationMessage) => void | Promise<void>
  /**
   * Encrypted events written in the same tick as `connected`, back to back with it (a server that
   * pushes state on connect).
   */
  welcome?: (connection: MockConnection) => ApplicationMessage[]
}

/**
 * An encrypted-socket server inside the test process, on mock-socket: it performs the real
 * protocol v1 handshake with Web Crypto, decrypts what the client sends, and can inject every
 * fault. Point the client at it with `WebSocket: MockWebSocket` and the same URL.
 *
 * ```ts
 * const server = createMockEncryptedServer('ws://localhost:8787', { ecdhInfo: 'app' })
 * const client = new EncryptedWebSocketClient({ url: server.url, ecdhInfo: 'app', token: 't', WebSocket: MockWebSocket })
 * await client.connect()
 * const connection = await server.nextConnection()
 * await connection.send('order.created', { id: 1 })
 * await server.stop()
 * ```
 */
export function createMockEncryptedServer(url: string, options: MockServerOptions): MockEncryptedServer {
  return new MockEncryptedServer(url, options)
}

export class MockEncryptedServer {
  readonly url: string
  /** Every connection, in the order they arrived (closed ones included). */
  readonly connections: MockConnection[] = []
  /** Every decrypted application event from every connection, in arrival order. */
  readonly received: ReceivedEvent[] = []

  readonly #options: MockServerOptions
  readonly #server: Server
  #handshake: HandshakeMode = { type: 'normal' }
  #nextId = 1
  #authenticatedWaiters: ((connection: MockConnection) => void)[] = []
  #unclaimed: MockConnection[] = []

  constructor(url: string, options: MockServerOptions) {
    this.url = url
    this.#options = options
    this.#server = new Server(url)
    this.#server.on('connection', (socket) => this.#accept(socket))
  }

  /** The connections that are still open. */
  openConnections(): MockConnection[] {
    return this.connections.filter((connection) => connection.isOpen)
  }

  /**
   * Resolves with the next connection that authenticates (one already authenticated and not yet
   * handed out by this method comes first).
   */
  nextConnection(): Promise<MockConnection> {
    const ready = this.#unclaimed.shift()
    if (ready) return Promise.resolve(ready)
    return new Promise((resolve) => this.#authenticatedWaiters.push(resolve))
  }

  /** Rejects every following authentication: an `error` frame, then this close code. */
  rejectAuthentication({
    code = 1008,
    message = 'Invalid token',
  }: { code?: number; message?: string } = {}): void {
    this.#handshake = { type: 'reject', code, message }
  }

  /** Never answers `authenticate`: the client's handshake timeout has to fire. */
  hangHandshake(): void {
    this.#handshake = { type: 'hang' }
  }

  /** Answers with a `connected` frame without `serverPublicKey` and `salt` (a downgrade). */
  connectedWithoutKeys(): void {
    this.#handshake = { type: 'without-keys' }
  }

  /** Answers with a server public key that is not on the curve. */
  sendInvalidServerKey(): void {
    this.#handshake = { type: 'invalid-server-key' }
  }

  /** Sends a salt other than the one it derives its key with: the client's key will not work. */
  sendWrongSalt(): void {
    this.#handshake = { type: 'wrong-salt' }
  }

  /** Back to normal handshakes. */
  resetHandshake(): void {
    this.#handshake = { type: 'normal' }
  }

  /** Sends an encrypted event to every open, authenticated connection. */
  async broadcast(event: string, data?: unknown): Promise<void> {
    await Promise.all(
      this.openConnections()
        .filter((c) => c.key)
        .map((c) => c.send(event, data)),
    )
  }

  /** Drops every open connection (1006 looks like a network failure). */
  dropAll(code = 1006, reason = ''): void {
    for (const connection of this.openConnections()) connection.drop(code, reason)
  }

  /** Stops the server; every client sees its connection close. */
  stop(): Promise<void> {
    return new Promise((resolve) => this.#server.stop(resolve))
  }

  #accept(socket: Client): void {
    const connection: MockConnection = new MockConnection(`conn-${this.#nextId++}`, socket, (message) =>
      this.received.push({ ...message, connection }),
    )
    this.connections.push(connection)
    // Frames are handled one at a time, in order, like the real server.
    let queue = Promise.resolve()
    socket.on('message', (data) => {
      const text = typeof data === 'string' ? data : String(data)
      connection.frames.push(text)
      queue = queue.then(() => this.#handle(connection, socket, text))
    })
    socket.on('close', (event?: { code?: number }) => connection.markClosed(event?.code ?? 1005))
  }

  async #handle(connection: MockConnection, socket: Client, text: string): Promise<void> {
    const frame = parseFrame(text)
    switch (frame.type) {
      case 'authenticate':
        return this.#authenticate(connection, socket, frame.token, frame.clientPublicKey)
      case 'encrypted': {
        const message = await connection.receiveEncrypted(text, frame.iv, frame.ct)
        if (message) await this.#options.onEvent?.(connection, message)
        return
      }
      case 'heartbeat':
        connection.heartbeats++
        return
      case 'join':
        for (const room of frame.rooms) connection.rooms.add(room)
        return
      case 'leave':
        for (const room of frame.rooms) connection.rooms.delete(room)
        return
      case 'plaintext':
        connection.errors.push(`plaintext application event "${frame.event}"`)
        return
      case 'malformed':
        connection.errors.push(frame.reason)
        return
      default:
        connection.errors.push(`unexpected "${frame.type}" frame from a client`)
    }
  }

  async #authenticate(
    connection: MockConnection,
    socket: Client,
    token: string,
    clientPublicKey: Uint8Array<ArrayBuffer>,
  ): Promise<void> {
    const mode = this.#handshake
    if (mode.type === 'hang') return
    const userId = mode.type === 'reject' ? false : await (this.#options.verifyToken?.(token) ?? 'user')
    if (userId === false) {
      const code = mode.type === 'reject' ? mode.code : 1008
      const message = mode.type === 'reject' ? mode.message : 'Invalid token'
      socket.send(encodeFrame({ type: 'error', code: 'AUTH_FAILED', message }))
      socket.close({ code, reason: message, wasClean: true })
      return
    }
    connection.userId = userId
    const connected = {
      type: 'connected',
      id: connection.id,
      userId,
      time: new Date().toISOString(),
    } as const
    if (mode.type === 'without-keys') {
      socket.send(encodeFrame(connected))
      connection.setKey(null)
    } else {
      const keys = await createEphemeralKeys()
      const salt = crypto.getRandomValues(new Uint8Array(32))
      const key = await deriveSessionKey(keys.privateKey, clientPublicKey, salt, this.#options.ecdhInfo)
      const serverPublicKey = mode.type === 'invalid-server-key' ? offCurve(keys.publicKey) : keys.publicKey
      const sentSalt = mode.type === 'wrong-salt' ? crypto.getRandomValues(new Uint8Array(32)) : salt
      connection.setKey(key)
      const welcome = await Promise.all(
        (this.#options.welcome?.(connection) ?? []).map((m) => sealMessage(key, m)),
      )
      socket.send(encodeFrame({ ...connected, serverPublicKey, salt: sentSalt }))
      for (const { frame } of welcome) connection.sendRaw(frame)
    }
    const waiter = this.#authenticatedWaiters.shift()
    if (waiter) waiter(connection)
    else this.#unclaimed.push(connection)
  }
}

/** The same point with its last byte changed: 65 bytes, 0x04 first, but not on the curve. */
function offCurve(publicKey: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  const copy = publicKey.slice()
  copy[64]! ^= 0x01
  return copy
}
