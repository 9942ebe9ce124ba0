import { PROTOCOL_V2 } from '@encrypted-socket/core'
import { Server, type Client } from 'mock-socket'
import type { HandshakeMode, WelcomeFault } from './handshakeMode'
import { MockConnection, type ReceivedEvent } from './mockConnection'
import { selectProtocol } from './selectProtocol'
import type { ServerContext } from './serverContext'
import { resolveOptions, type MockServerOptions, type ResolvedOptions } from './serverOptions'
import { handleV1Frame } from './v1/v1Handler'
import { V2Handler } from './v2/v2Handler'

/**
 * An encrypted-socket server inside the test process, on mock-socket: it performs the real
 * handshake of protocol v1 or v2 with Web Crypto, decrypts what the client sends, and can inject
 * every fault. Point the client at it with `WebSocket: MockWebSocket` and the same URL.
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

  readonly #options: ResolvedOptions
  readonly #server: Server
  readonly #context: ServerContext
  readonly #historyLost = new Set<string>()
  readonly #deniedRooms = new Map<string, { code: string; message: string }>()
  #handshake: HandshakeMode = { type: 'normal' }
  #nextId = 1
  #authenticatedWaiters: ((connection: MockConnection) => void)[] = []
  #unclaimed: MockConnection[] = []

  constructor(url: string, options: MockServerOptions) {
    this.url = url
    this.#options = resolveOptions(options)
    this.#context = {
      options: this.#options,
      mode: () => this.#handshake,
      authenticated: (connection) => this.#authenticated(connection),
      historyLost: (room) => this.#historyLost.has(room),
      roomRefusal: (room) => this.#deniedRooms.get(room) ?? null,
    }
    this.#server = new Server(url, {
      selectProtocol: (offered) => selectProtocol(this.#options.protocol, offered),
    })
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

  /**
   * Rejects every following authentication: an `error` frame (v2: record) with `errorCode`, then
   * this close code. `errorCode` @default `'AUTH_FAILED'` (v2 with 4401: `'TOKEN_EXPIRED'`)
   */
  rejectAuthentication({
    code = 1008,
    message = 'Invalid token',
    errorCode,
  }: { code?: number; message?: string; errorCode?: string } = {}): void {
    this.#handshake = { type: 'reject', code, message, ...(errorCode !== undefined && { errorCode }) }
  }

  /** Never answers `authenticate` (v2: record #0): the client's handshake timeout has to fire. */
  hangHandshake(): void {
    this.#handshake = { type: 'hang' }
  }

  /** Answers with a `connected` frame without `serverPublicKey` and `salt` (a downgrade; v2: such a welcome). */
  connectedWithoutKeys(): void {
    this.#handshake = { type: 'without-keys' }
  }

  /** Answers with a server public key that is not on the curve (v1 and v2). */
  sendInvalidServerKey(): void {
    this.#handshake = { type: 'invalid-server-key' }
  }

  /** Sends a salt other than the one it derives its key with: the client's key will not work (v1 and v2). */
  sendWrongSalt(): void {
    this.#handshake = { type: 'wrong-salt' }
  }

  /** v2: the following connections get this faulty welcome (see `WelcomeFault`); v1 ones are unaffected. */
  sendBadWelcome(fault: WelcomeFault): void {
    this.#handshake = { type: 'bad-welcome', fault }
  }

  /**
   * v2: from now on a join of `room` with `since` answers `recovered: false`, as a server whose
   * history no longer holds what the client missed: the client reports a room gap.
   */
  loseRoomHistory(room: string): void {
    this.#historyLost.add(room)
  }

  /**
   * From now on a join of `room` is refused, as a server's `authorizeJoin` would: v2 answers
   * `denied` with this `code` and `message`; v1 an `error` frame `JOIN_DENIED` naming the room.
   */
  denyRoom(room: string, refusal = { code: 'FORBIDDEN', message: 'You may not join this room.' }): void {
    this.#deniedRooms.set(room, refusal)
  }

  /** Joins of `room` are let in again (after `denyRoom`). */
  allowRoom(room: string): void {
    this.#deniedRooms.delete(room)
  }

  /** Back to normal handshakes. */
  resetHandshake(): void {
    this.#handshake = { type: 'normal' }
  }

  /** Sends an encrypted event to every open, authenticated connection. */
  async broadcast(event: string, data?: unknown): Promise<void> {
    await Promise.all(
      this.openConnections()
        .filter((c) => c.isAuthenticated && (c.protocol === 'v2' || c.key))
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
    const protocol = socket.protocol === PROTOCOL_V2 ? 'v2' : 'v1'
    const connection: MockConnection = new MockConnection(
      `conn-${this.#nextId++}`,
      socket,
      (message) => this.received.push({ ...message, connection }),
      protocol,
    )
    this.connections.push(connection)
    const v2 = protocol === 'v2' ? new V2Handler(this.#context, connection, socket) : null
    // v1 frames are handled one at a time, in order, like the real server (V2Handler queues its own).
    let queue = Promise.resolve()
    if (!v2) connection.onSettled(() => queue)
    socket.on('message', (data) => {
      if (v2) return v2.receive(data)
      const text = typeof data === 'string' ? data : String(data)
      connection.frames.push(text)
      queue = queue
        .then(() => handleV1Frame(this.#context, connection, socket, text))
        .catch(
          (error: unknown) =>
            void connection.errors.push(error instanceof Error ? error.message : String(error)),
        )
    })
    socket.on('close', (event?: { code?: number }) => {
      v2?.closed()
      connection.markClosed(event?.code ?? 1005)
    })
  }

  #authenticated(connection: MockConnection): void {
    const waiter = this.#authenticatedWaiters.shift()
    if (waiter) waiter(connection)
    else this.#unclaimed.push(connection)
  }
}
