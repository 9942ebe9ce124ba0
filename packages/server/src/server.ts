import { createServer, STATUS_CODES, type IncomingMessage, type Server as HttpServer } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { PROTOCOL_V2 } from '@encrypted-socket/core'
import type { Registry } from 'prom-client'
import { WebSocketServer, type WebSocket } from 'ws'
import {
  emptyDropCounts,
  SERVER_CLOSE,
  ServerConnection,
  type ConnectionHost,
  type DropCounts,
} from './connection'
import { Admission } from './admission'
import { DEFAULT_DRAIN_TIMEOUT, drainConnections } from './drain'
import { isForPath, mountPath, socketUrl, type AppHttpServer, type AttachOptions } from './mount'
import { logHookFailure } from './safeHooks'
import { demoHandler } from './demo'
import { sealAndSend } from './fanOut'
import { SealWorkers } from './workers/sealWorkers'
import { sealWorkerScript } from './workers/workerScript'
import { KeyPool } from './keyPool'
import { ServerMetrics } from './metrics'
import { emptyServerEventCounts } from './serverEventCounts'
import { OutgoingMessage } from './outgoing'
import { RoomRegistry } from './rooms'
import { RedisFanout, type FanoutMessage, type Membership, type RedisRejections } from './redisFanout'
import type { EventContext } from './eventContext'
import type { EventMeta } from './connection'
import { clientError, type HandlerOutcome } from './delivery/answer'
import { emptyDeliveryCounters, type DeliveryStats } from './delivery/deliveryStats'
import { MemoryKeyStore, type KeyStore } from './delivery/idempotencyKeys'
import { RedisDelivery } from './delivery/redisDelivery'
import { MemoryRoomLog, type RoomLog } from './delivery/roomLog'
import { MemorySessionStore } from './delivery/sessionStore'
import { Sessions } from './delivery/sessions'
import {
  isOriginAllowed,
  resolveServerOptions,
  startupWarnings,
  type ResolvedServerOptions,
  type ServerOptions,
} from './options'

/** A connection as the server's API shows it. */
export interface ConnectionInfo {
  id: string
  userId: string | null
  rooms: string[]
  /** The client's address, as `clientAddress` tells it. */
  remoteAddress: string | undefined
  authenticated: boolean
  /** The protocol negotiated at the upgrade: 2 when the client offered `encrypted-socket.v2`. */
  protocol: 1 | 2
  /** Reading is paused: the frames waiting for handlers reached `incomingQueue`. */
  readPaused: boolean
  /** Bytes written to the client and not yet taken by the network (see `sendHighWaterMark`). */
  bufferedAmount: number
}

/** Starts a server and resolves once it listens. */
export async function createEncryptedSocketServer(options: ServerOptions): Promise<EncryptedSocketServer> {
  const server = new EncryptedSocketServer(options)
  await server.listen()
  return server
}

/**
 * An encrypted-socket server on `ws`, speaking protocol v2 to clients that offer it and v1 to the
 * others on the same port: verifies JWTs, gives every connection a fresh key pair, keeps rooms,
 * and sends each recipient its own ciphertext.
 */
export class EncryptedSocketServer {
  readonly #options: ResolvedServerOptions
  readonly #http: HttpServer
  readonly #wss: WebSocketServer
  readonly #connections = new Map<string, ServerConnection>()
  readonly #rooms = new RoomRegistry<ServerConnection>()
  readonly #drops = emptyDropCounts()
  readonly #host: ConnectionHost
  readonly #admission: Admission
  readonly #counters = emptyDeliveryCounters()
  /** What only the metrics count: handshakes, refusals, back-pressure. */
  readonly #events = emptyServerEventCounts()
  readonly #metrics: ServerMetrics
  readonly #sessions: Sessions
  readonly #roomLog: RoomLog
  readonly #keys: KeyStore
  /** With `redis` (unless `sharedDelivery: false`): sessions, keys and room streams in Redis. */
  readonly #delivery: RedisDelivery | null = null
  readonly #instanceId = crypto.randomUUID()
  #url: string | null = null
  #fanout: RedisFanout | null = null
  #idleSweep: ReturnType<typeof setInterval> | null = null
  #closing: Promise<void> | null = null
  /** The application's server this one is attached to (`attach`), its path and our listener. */
  #mount: { server: AppHttpServer; path: string; onUpgrade: UpgradeListener } | null = null
  /** Timers and Redis fan-out run (from `listen`, `attach` or the first `handleUpgrade`). */
  #started = false
  /** With `workers`: the seal worker file (checked at construction), and the workers once started. */
  readonly #workerScript: string | null
  #sealWorkers: SealWorkers | null = null

  constructor(options: ServerOptions) {
    this.#options = resolveServerOptions(options)
    this.#workerScript = this.#options.workers > 0 ? sealWorkerScript() : null
    const { headersTimeout, maxHandshakePayload } = this.#options
    this.#admission = new Admission(this.#options)
    // Until a connection authenticates, ws reads frames only up to the handshake limit; the
    // connection raises its own limit to maxPayload once authenticated.
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: maxHandshakePayload, handleProtocols })
    this.#http = createServer(
      // Slow or silent upgrade requests are cut after headersTimeout, checked every second.
      { headersTimeout, requestTimeout: headersTimeout, connectionsCheckingInterval: 1000 },
      (_request, response) => {
        response.writeHead(426, { 'content-type': 'text/plain' }).end('This is a WebSocket endpoint.\n')
      },
    )
    this.#http.on('connection', (socket: Socket) => {
      // Node takes its own 'error' listener off a socket once it is upgraded: one of ours stays on
      // every socket from its first moment, so a reset at any point cannot end the process.
      socket.on('error', ignoreSocketError)
      // headersTimeout starts with the first byte; a socket that sends none is cut too. ws
      // clears this timeout when the upgrade completes.
      socket.setTimeout(headersTimeout, () => socket.destroy())
    })
    this.#http.on('upgrade', (request, socket, head) => this.#upgrade(request, socket, head))
    // In Redis with `redis` (unless sharedDelivery: false); else in memory, per instance.
    const {
      resumeWindow,
      resumeMaxMessages,
      resumeMaxBytes,
      maxConnectionsPerUser,
      roomHistory,
      now,
      redis,
    } = this.#options
    if (redis && redis.sharedDelivery !== false) {
      this.#delivery = new RedisDelivery({
        url: redis.url,
        prefix: redis.keyPrefix ?? 'encrypted-socket',
        secret: redis.secret,
        instanceId: this.#instanceId,
        resumeWindow,
        resumeMaxMessages,
        resumeMaxBytes,
        roomHistory,
        idempotencyKeysPerUser: this.#options.idempotencyKeysPerUser,
        now,
        logger: this.#options.logger,
        counters: this.#counters,
        published: () => this.#fanout?.published ?? -1,
        publish: (control) =>
          this.#fanout
            ? this.#fanout.publish({ target: control, event: '', data: null })
            : Promise.resolve(false),
        onRoomEntry: (room, entry, message) => {
          message.room = { name: room, entry }
          this.#sealAndSend(this.#rooms.members(room), message)
        },
      })
    }
    const sessionLimits = {
      resumeWindow,
      resumeMaxMessages,
      resumeMaxBytes,
      waitingPerUser: maxConnectionsPerUser,
      now,
    }
    this.#sessions = new Sessions(
      this.#delivery?.sessions ?? new MemorySessionStore(),
      sessionLimits,
      this.#counters,
    )
    this.#roomLog = this.#delivery?.roomLog ?? new MemoryRoomLog(roomHistory, now)
    this.#keys =
      this.#delivery?.keys ?? new MemoryKeyStore(this.#options.idempotencyKeysPerUser, resumeWindow, now)
    this.#host = {
      options: this.#options,
      keyPool: new KeyPool(),
      admitUser: (userId) => this.#admission.admitUser(userId),
      onAuthenticated: (connection) => {
        this.#events.handshakes[connection.protocol]++
        this.#options.logger.info('authenticated', { connection: connection.id, userId: connection.userId })
      },
      onRoomChange: (connection, type, rooms) => this.#changeRooms(connection, type, rooms),
      onEvent: (connection, event, data, meta) => this.#dispatch(connection, event, data, meta),
      onDrop: (connection, reason) => {
        this.#drops[reason]++
        this.#options.logger.debug('frame dropped', { connection: connection.id, reason })
      },
      sessions: this.#sessions,
      roomLog: this.#roomLog,
      keys: this.#keys,
      counters: this.#counters,
      events: this.#events,
      sealWorkers: null,
    }
    this.#metrics = new ServerMetrics({
      connections: () => this.#connections.values(),
      rooms: () => {
        let rooms = 0
        for (const _ of this.#rooms.entries()) rooms++
        return rooms
      },
      stats: () => this.stats(),
      drops: () => this.#drops,
      events: this.#events,
      maxConnections: this.#options.maxConnections,
      sealWorkers: this.#options.workers > 0 ? () => this.#sealWorkers : null,
      redis: redis ? { ready: () => this.redisReady, rejected: () => this.redisRejected } : null,
    })
  }

  /**
   * This server's metrics in the Prometheus text format (see the README's "Metrics"): connections,
   * rooms, handshakes and refusals, drops, back-pressure, v2 resumes and replays, Redis.
   */
  metrics(): Promise<string> {
    return this.#metrics.text()
  }

  /** The `Content-Type` to serve `metrics()` with. */
  get metricsContentType(): string {
    return this.#metrics.registry.contentType
  }

  /**
   * The prom-client `Registry` holding this server's metrics (its own, never the global one):
   * merge it into the application's with `Registry.merge([register, server.metricsRegistry])`.
   */
  get metricsRegistry(): Registry {
    return this.#metrics.registry
  }

  /** Whether the server takes new connections: started (listen, attach or handleUpgrade) and not closing. */
  get accepting(): boolean {
    return this.#started && !this.#closing
  }

  /** The address clients connect to, e.g. `ws://127.0.0.1:8787` (known once listening). */
  get url(): string {
    const url = this.#url ?? (this.#mount && socketUrl(this.#mount.server, this.#mount.path))
    if (!url)
      throw new Error(
        'encrypted-socket server: not listening yet; await listen() first (or listen on the server you attached to).',
      )
    return url
  }

  /**
   * v2 delivery so far (sessions, resumes, replays, duplicates, requests, room recovery) and what
   * is held now. In memory, per instance.
   */
  stats(): DeliveryStats {
    const { sessions, waiting, unacknowledged } = this.#sessions.size()
    const { rooms, entries } =
      this.#roomLog instanceof MemoryRoomLog ? this.#roomLog.size : { rooms: 0, entries: 0 }
    return {
      ...this.#counters,
      sessions,
      sessionsWaiting: waiting,
      unacknowledged,
      idempotencyKeys: this.#keys instanceof MemoryKeyStore ? this.#keys.size : 0,
      roomStreams: rooms,
      roomHistoryEntries: entries,
    }
  }

  /** Frames dropped so far, by reason, over all connections. */
  get drops(): Readonly<DropCounts> {
    return { ...this.#drops }
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#http.once('error', reject)
      this.#http.listen(this.#options.port, this.#options.host, () => {
        this.#http.off('error', reject)
        const address = this.#http.address() as AddressInfo
        const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
        this.#url = `ws://${host}:${address.port}`
        this.#options.logger.info('listening', {
          url: this.url,
          protocols: this.#options.requireV2 ? ['v2'] : ['v1', 'v2'],
        })
        this.#start()
        resolve()
      })
    })
  }

  /**
   * Mounts on the application's HTTP or HTTPS server (Express, Fastify, a Next.js custom server…):
   * takes the upgrade requests for `path` only, and nothing else: other upgrade paths are left to
   * the server's other `upgrade` listeners, and plain HTTP requests to the application. The
   * application listens and closes its server; `close()` detaches from it. The per-connection
   * limits of the server's own `listen()` (headersTimeout, the idle socket timeout) are the
   * application server's to set; each upgraded socket gets an `error` listener, as with `listen()`.
   */
  attach(server: AppHttpServer, options: AttachOptions = {}): this {
    const path = mountPath(options)
    if (this.#closing) throw new Error('encrypted-socket server: attach() after close().')
    if (this.#mount) throw new Error('encrypted-socket server: already attached; one server per instance.')
    const onUpgrade: UpgradeListener = (request, socket, head) => {
      if (isForPath(request, path)) this.#take(request, socket, head)
    }
    server.on('upgrade', onUpgrade)
    this.#mount = { server, path, onUpgrade }
    this.#start()
    this.#options.logger.info('attached', {
      path,
      protocols: this.#options.requireV2 ? ['v2'] : ['v1', 'v2'],
    })
    return this
  }

  /**
   * Takes one upgrade request that a framework routed here itself (e.g. its own `upgrade` handler
   * for a path): the same checks as `listen()`/`attach()` (closing, admission limits, Origin,
   * `requireV2`), then the encrypted socket. The first call starts the timers and Redis fan-out.
   */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.#start()
    this.#take(request, socket, head)
  }

  /** Starts the idle sweep and Redis fan-out, once (listen, attach or the first handleUpgrade). */
  #start(): void {
    if (this.#started || this.#closing) return
    this.#started = true
    if (this.#workerScript) {
      this.#sealWorkers = new SealWorkers(this.#workerScript, this.#options.workers, this.#options.logger)
      this.#host.sealWorkers = this.#sealWorkers
    }
    const { idleTimeout, slowConsumerTimeout, heartbeat } = this.#options
    const sweepEvery = Math.min(
      10_000,
      Math.max(10, Math.min(idleTimeout / 3, slowConsumerTimeout / 2, heartbeat)),
    )
    this.#idleSweep = setInterval(() => this.#dropIdle(), sweepEvery)
    if (this.#options.redis) {
      this.#fanout = new RedisFanout(
        this.#options.redis,
        this.#options.logger,
        (message, own) => {
          if (message.target.kind === 'session') this.#delivery?.sessions.control(message.target, own)
          else if (message.target.kind === 'disconnect') {
            if (!own) this.#disconnectUserHere(message.target.userId, message.target.reason)
          } else if (!own) void this.#deliverLocally(message)
        },
        () => this.#memberships(),
        this.#instanceId,
      )
      this.#fanout.hops.onHop = (seconds) => this.#metrics.observeRedisHop(seconds)
    }
    for (const warning of startupWarnings(this.#options)) this.#options.logger.warn(warning)
  }

  /** An upgrade from an application's server: its socket gets our 'error' listener, then the checks. */
  #take(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Node takes its own 'error' listener off an upgraded socket: a reset must not end the process.
    if (!socket.listeners('error').includes(ignoreSocketError)) socket.on('error', ignoreSocketError)
    this.#upgrade(request, socket, head)
  }

  /** Takes our listener off the application's server (which stays the application's to close). */
  #detach(): void {
    if (!this.#mount) return
    this.#mount.server.off('upgrade', this.#mount.onUpgrade)
    this.#options.logger.info('detached', { path: this.#mount.path })
  }

  /** The open connections. */
  connections(): ConnectionInfo[] {
    return [...this.#connections.values()].map((c) => ({
      id: c.id,
      userId: c.userId,
      rooms: [...c.rooms],
      remoteAddress: c.remoteAddress,
      authenticated: c.authenticated,
      protocol: c.protocol,
      readPaused: c.socket.isPaused,
      bufferedAmount: c.socket.bufferedAmount,
    }))
  }

  /** The ids of the connections in a room. */
  roomMembers(room: string): string[] {
    return this.#rooms.members(room).map((connection) => connection.id)
  }

  /**
   * Sends an encrypted event to one connection. v2: on its session stream (numbered, kept until
   * the client acknowledges it, replayed on a resume). Resolves true when it was sent (v2: taken
   * on the session stream).
   */
  sendTo(connectionId: string, event: string, data?: unknown): Promise<boolean> {
    return this.#connections.get(connectionId)?.send(event, data) ?? Promise.resolve(false)
  }

  /**
   * Sends to every connection of a user, on every instance. v2: on each session stream of the
   * user, including sessions waiting for a resume (they get it when they resume). Resolves with the
   * number of connections reached on this instance.
   */
  sendToUser(userId: string, event: string, data?: unknown): Promise<number> {
    return this.#fanOut({ target: { kind: 'user', userId }, event, data })
  }

  /**
   * Sends to every connection in a room, on every instance (count: this instance's). v2: numbered
   * on the room's stream and kept in its history (`roomHistory`), for a `join` with `since` or a
   * resume.
   */
  sendToRoom(room: string, event: string, data?: unknown): Promise<number> {
    return this.#fanOut({ target: { kind: 'room', room }, event, data })
  }

  /**
   * Sends to every authenticated connection, on every instance (count: this instance's). Not
   * resumable: no seq, not kept, not replayed (a client that was away misses it).
   */
  broadcast(event: string, data?: unknown): Promise<number> {
    return this.#fanOut({ target: { kind: 'all' }, event, data })
  }

  /** The users in a room: across every instance when Redis is configured. */
  async presence(room: string): Promise<string[]> {
    if (this.#fanout?.ready) return this.#fanout.presence(room)
    const users = this.#rooms.members(room).map((connection) => connection.userId ?? '')
    return [...new Set(users)].sort()
  }

  /** Messages from Redis that were not delivered, by reason (null without Redis): fan-out envelopes and room entries. */
  get redisRejected(): Readonly<RedisRejections> | null {
    if (!this.#fanout) return null
    const rejected = { ...this.#fanout.rejected }
    const entries = this.#delivery?.rejected
    if (entries)
      for (const reason of Object.keys(entries) as (keyof typeof entries)[])
        rejected[reason] += entries[reason]
    return rejected
  }

  /** Whether fan-out (and the shared delivery state) through Redis works now (null without Redis). */
  get redisReady(): boolean | null {
    return this.#fanout ? this.#fanout.ready && (this.#delivery?.ready ?? true) : null
  }

  /** Closes one connection. */
  disconnect(connectionId: string, code = 1000, reason = ''): void {
    this.#connections.get(connectionId)?.close(code, reason)
  }

  /**
   * Disconnects a user whose access was revoked, on every instance (through Redis, when
   * configured): each of their connections is told `TOKEN_REFUSED` (v2: an `error` record; v1: an
   * error frame, `reason` as its message) and closed with 4401, which clients do not retry; their
   * v2 sessions, attached or waiting, are dropped, so none can be resumed. Refuse their tokens too
   * (`verifyToken`), else they can connect again, with a new session. Resolves with the number of
   * connections closed on this instance.
   */
  async disconnectUser(userId: string, reason = 'Access revoked'): Promise<number> {
    const message = reason.slice(0, 200)
    const closed = this.#disconnectUserHere(userId, message)
    if (this.#fanout) {
      const target = { kind: 'disconnect', userId, reason: message } as const
      if (!(await this.#fanout.publish({ target, event: '', data: null })))
        this.#options.logger.warn('disconnectUser: redis unreachable, other instances not told', { userId })
    }
    return closed
  }

  #disconnectUserHere(userId: string, reason: string): number {
    // Sessions first: a handler finishing meanwhile cannot add to them, and the closes cannot keep them.
    const sessions = this.#sessions.dropUser(userId)
    const connections = [...this.#connections.values()].filter((c) => c.userId === userId)
    for (const connection of connections) {
      connection.notice('TOKEN_REFUSED', reason)
      connection.close(SERVER_CLOSE.TOKEN_REFUSED, 'Disconnected by the server')
    }
    this.#options.logger.info('user disconnected', { userId, connections: connections.length, sessions })
    return connections.length
  }

  /**
   * A graceful restart (a rolling deploy, SIGTERM): refuses new upgrades (503) and reads nothing
   * more from any client; lets the handlers of what was taken finish, and their acknowledgements
   * and the v2 sessions (in Redis, with `redis`) be written; then closes v2 clients with 1012 (they
   * reconnect at once and resume their session on another instance: nothing lost, nothing
   * processed twice) and v1 clients with 1001. Sockets still open after `timeout` ms are cut (a
   * handler still running then may see its message sent again by the client). Then lets Redis go,
   * detaches from an attached server (it does not close it) and resolves. `close()` meanwhile
   * returns the same promise.
   */
  drain({ timeout = DEFAULT_DRAIN_TIMEOUT }: { timeout?: number } = {}): Promise<void> {
    this.#closing ??= this.#drain(timeout)
    return this.#closing
  }

  async #drain(timeout: number): Promise<void> {
    this.#options.logger.info('draining', { connections: this.#connections.size, timeout })
    const { cut } = await drainConnections(
      () => this.#connections.values(),
      () => this.#wss.clients,
      timeout,
    )
    // What the closes changed (sessions waiting for their resume) is written before Redis goes.
    const sessions = [...(this.#delivery?.sessions.all() ?? [])]
    await Promise.all(sessions.map((session) => session.journal?.flushed()))
    if (this.#idleSweep) clearInterval(this.#idleSweep)
    await this.#sealWorkers?.close()
    await this.#fanout?.close(this.#memberships())
    this.#http.close()
    this.#detach()
    this.#wss.close()
    this.#delivery?.close()
    this.#options.logger.info('closed', { drained: true, cut })
  }

  /**
   * Stops accepting connections, closes every client with 1001 (they reconnect, to another
   * instance), and resolves when all are gone (sockets still open after `timeout` are cut). What
   * handlers are processing may be lost: for a restart, `drain()`.
   */
  close({ timeout = 5000 }: { timeout?: number } = {}): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      if (this.#idleSweep) clearInterval(this.#idleSweep)
      void this.#fanout?.close(this.#memberships())
      this.#http.close()
      const delivery = this.#delivery
      const sockets = [...this.#wss.clients]
      const gone = sockets.map((socket) => new Promise<void>((done) => socket.once('close', () => done())))
      for (const socket of sockets) socket.close(SERVER_CLOSE.GOING_AWAY, 'Server shutting down')
      const cut = setTimeout(() => sockets.forEach((socket) => socket.terminate()), timeout)
      void Promise.all(gone).then(async () => {
        clearTimeout(cut)
        await this.#sealWorkers?.close()
        this.#detach()
        this.#wss.close()
        delivery?.close()
        this.#options.logger.info('closed')
        resolve()
      })
    })
    return this.#closing
  }

  /**
   * Stops at once, as a crash would (for tests of what survives one): Redis is dropped first
   * (nothing more reaches it), then every socket without a close frame. @internal
   */
  kill(): void {
    this.#closing ??= Promise.resolve()
    if (this.#idleSweep) clearInterval(this.#idleSweep)
    this.#fanout?.abort()
    this.#delivery?.close(true)
    void this.#sealWorkers?.close()
    for (const socket of this.#wss.clients) socket.terminate()
    this.#detach()
    this.#http.close()
    this.#http.closeAllConnections()
  }

  #upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.#closing) {
      this.#events.upgradesRefused.closing++
      this.#options.logger.warn('upgrade refused', { reason: 'closing' })
      return refuseUpgrade(socket, 503)
    }
    const address = this.#clientAddress(request)
    const refusal = this.#admission.admit(address)
    if (refusal) {
      this.#events.upgradesRefused[refusal.reason]++
      this.#options.logger.warn('upgrade refused', { remoteAddress: address, reason: refusal.reason })
      return refuseUpgrade(socket, refusal.status)
    }
    // Released when the TCP socket closes, whether or not the upgrade completes.
    socket.once('close', () => this.#admission.release(address))
    const origin = request.headers.origin
    if (!isOriginAllowed(origin, this.#options.origins)) {
      this.#events.upgradesRefused.origin++
      this.#options.logger.warn('upgrade refused', { origin, reason: 'origin' })
      // A browser sees only 1006 for a refused upgrade; a close with a code tells the page why.
      // Nothing is processed: no welcome, no connection, no timers.
      return this.#wss.handleUpgrade(request, socket, head, (ws) =>
        ws.close(SERVER_CLOSE.ORIGIN_REFUSED, 'Origin not allowed'),
      )
    }
    if (this.#options.requireV2 && !offeredProtocols(request).includes(PROTOCOL_V2)) {
      this.#events.upgradesRefused['protocol-v1']++
      this.#options.logger.warn('upgrade refused', { reason: 'protocol-v1' })
      return refuseUpgrade(socket, 426)
    }
    this.#wss.handleUpgrade(request, socket, head, (ws) => this.#accept(ws, address))
  }

  /** The address the per-address limits count; a `clientAddress` hook that throws falls back to the socket's. */
  #clientAddress(request: IncomingMessage): string {
    try {
      return this.#options.clientAddress(request) ?? request.socket.remoteAddress ?? 'unknown'
    } catch (error) {
      logHookFailure(this.#options.logger, 'clientAddress', error)
      return request.socket.remoteAddress ?? 'unknown'
    }
  }

  #accept(socket: WebSocket, address: string): void {
    const connection = new ServerConnection(socket, address, this.#host)
    this.#connections.set(connection.id, connection)
    this.#options.logger.info('connection opened', {
      connection: connection.id,
      remoteAddress: connection.remoteAddress,
    })
    const authTimer = setTimeout(() => {
      if (connection.awaitingAuth) connection.close(SERVER_CLOSE.AUTH_TIMEOUT, 'Authentication timeout')
    }, this.#options.authTimeout)
    socket.on('message', (data, isBinary) => connection.receive(data, isBinary))
    socket.on('error', (error) =>
      this.#options.logger.warn('socket error', { connection: connection.id, error: error.message }),
    )
    socket.on('close', (code) => {
      clearTimeout(authTimer)
      this.#connections.delete(connection.id)
      if (connection.userId !== null) this.#admission.releaseUser(connection.userId)
      this.#changeRooms(connection, 'leave', [...connection.rooms])
      this.#options.logger.info('connection closed', { connection: connection.id, code })
    })
    connection.start()
  }

  #changeRooms(connection: ServerConnection, type: 'join' | 'leave', rooms: readonly string[]): void {
    // A join still queued when its socket closed must not bring a dead connection back.
    if (type === 'join' && !this.#connections.has(connection.id)) return
    for (const room of rooms) {
      if (type === 'join') this.#rooms.join(room, connection)
      else this.#rooms.leave(room, connection)
      const membership = { room, connectionId: connection.id, userId: connection.userId ?? '' }
      void this.#fanout?.setPresence(membership, type === 'join')
    }
  }

  #memberships(): Membership[] {
    return [...this.#rooms.entries()].flatMap(([room, members]) =>
      [...members].map((connection) => ({
        room,
        connectionId: connection.id,
        userId: connection.userId ?? '',
      })),
    )
  }

  /** Delivers here, and through Redis to the other instances (which deliver to theirs). */
  async #fanOut(message: FanoutMessage): Promise<number> {
    if (this.#delivery && message.target.kind === 'room')
      return this.#appendToRoom(message.target.room, message)
    let position: number | undefined
    if (this.#fanout) {
      const published = this.#fanout.publish(message)
      position = this.#fanout.published
      if (!(await published))
        this.#options.logger.warn('fan-out skipped: redis unreachable', { event: message.event })
    }
    return this.#deliverLocally(message, position)
  }

  /**
   * A room message with a shared room log: numbered in Redis, which delivers it to every instance
   * (this one included) in the room's seq order. Resolves with this instance's members.
   */
  async #appendToRoom(room: string, { event, data }: FanoutMessage): Promise<number> {
    new OutgoingMessage(event, data) // ERR_INVALID_PAYLOAD before anything is stored
    try {
      await this.#roomLog.append(room, () => new Uint8Array(0), { event, data })
    } catch (error) {
      this.#options.logger.warn('room message not sent: redis unreachable', { event, error: String(error) })
      return 0
    }
    return this.#rooms.members(room).length
  }

  /**
   * Encrypts once per recipient (their keys differ), in each one's protocol; never sends the
   * plaintext; serialises the data once. Binary data does not reach v1 connections (they cannot
   * carry it). A room message is first numbered on the room's stream; a user's v2 sessions each
   * number it on their own stream.
   */
  async #deliverLocally(
    { target, event, data }: FanoutMessage,
    /** This instance's own message: its place among what it published (else from another instance). */
    position?: number,
  ): Promise<number> {
    const message = new OutgoingMessage(event, data)
    const all = [...this.#connections.values()]
    if (target.kind === 'all') return this.#sealAndSend(all, message)
    if (target.kind === 'session' || target.kind === 'disconnect') return 0
    if (target.kind === 'user') {
      const v1 = all.filter((c) => c.protocol === 1 && c.userId === target.userId)
      const reached = v1.filter((connection) => connection.deliver(message)).length
      const plaintext = (seq: number) => message.v2PlaintextWith({ seq })
      // A session being claimed here from another instance gets what that one no longer takes.
      this.#delivery?.sessions.capture(target.userId, plaintext, position)
      return reached + this.#sessions.toUser(target.userId, plaintext)
    }
    const { room } = target
    const entry = await this.#roomLog.append(room, (seq) => message.v2PlaintextWith({ room, seq }))
    message.room = { name: room, entry }
    return this.#sealAndSend(this.#rooms.members(room), message)
  }

  /** Seals for every recipient: in the seal workers with `workers`, else here. */
  #sealAndSend(recipients: readonly ServerConnection[], message: OutgoingMessage): number {
    return this.#sealWorkers
      ? this.#sealWorkers.fanOut(recipients, message)
      : sealAndSend(recipients, message)
  }

  /** For tests: the seal workers (null without `workers`, or before the server started). @internal */
  get sealWorkers(): SealWorkers | null {
    return this.#sealWorkers
  }

  /** Runs the demo handlers and `onEvent`; resolves with what `onEvent` returned or what either threw. */
  async #dispatch(
    connection: ServerConnection,
    event: string,
    data: unknown,
    meta: EventMeta = {},
  ): Promise<HandlerOutcome> {
    const context: EventContext = {
      connectionId: connection.id,
      userId: connection.userId ?? '',
      rooms: connection.rooms,
      ...(meta.key === undefined ? {} : { key: meta.key }),
      ...(meta.requestId === undefined ? {} : { requestId: meta.requestId }),
      reply: async (replyEvent, replyData) => {
        await connection.send(replyEvent, replyData)
      },
      server: this,
    }
    try {
      if (this.#options.demo) await demoHandler(context, event, data)
      return { value: await this.#options.onEvent?.(context, event, data) }
    } catch (error) {
      // An error for the client (a v2 request's answer) is the application's; anything else is a failure.
      this.#options.logger[clientError(error) ? 'debug' : 'error']('event handler failed', {
        connection: connection.id,
        event,
        error: String(error),
      })
      return { error }
    }
  }

  #dropIdle(): void {
    const now = Date.now()
    for (const connection of this.#connections.values()) {
      if (connection.tooSlow(now)) {
        if (!connection.closing) this.#events.slowClientsClosed++
        this.#options.logger.warn('closing a client that does not read', { connection: connection.id })
        connection.close(SERVER_CLOSE.TRY_AGAIN_LATER, 'Not reading')
      } else if (connection.endIfSilent(now)) {
        this.#options.logger.info('dropping a silent client', { connection: connection.id })
      }
    }
    this.#admission.sweep(now)
    this.#sessions.sweep()
    if (this.#keys instanceof MemoryKeyStore) this.#keys.sweep()
    const held = this.#sessions.roomsHeld()
    if (this.#roomLog instanceof MemoryRoomLog)
      this.#roomLog.sweep((room) => held.has(room) || this.#rooms.has(room))
    if (this.#delivery)
      this.#delivery.sweep(new Set([...held, ...[...this.#rooms.entries()].map(([room]) => room)]))
  }
}

type UpgradeListener = (request: IncomingMessage, socket: Duplex, head: Buffer) => void

/**
 * Picks protocol v2 when the client offers it; otherwise what ws does by default (the first
 * offer, e.g. `encrypted-socket.v1`): any selection but v2, or none, means v1.
 */
function handleProtocols(offered: Set<string>): string | false {
  if (offered.has(PROTOCOL_V2)) return PROTOCOL_V2
  return offered.values().next().value ?? false
}

/** The subprotocols of an upgrade request's `Sec-WebSocket-Protocol` header. */
function offeredProtocols(request: IncomingMessage): string[] {
  return (request.headers['sec-websocket-protocol'] ?? '').split(',').map((name) => name.trim())
}

function ignoreSocketError(): void {
  // A reset or a broken pipe from the peer: the socket closes, and whoever owns it sees that.
}

/** Answers an upgrade with an HTTP error and destroys the socket once it is written (as ws does). */
function refuseUpgrade(socket: Duplex, status: number): void {
  if (!socket.writable) {
    socket.destroy()
    return
  }
  socket.once('finish', () => socket.destroy())
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
}
