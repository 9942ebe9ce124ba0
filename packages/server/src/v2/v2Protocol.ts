import {
  encodeRecordPlaintext,
  readMessage,
  type MsgMessage,
  type ResumeRequest,
} from '@encrypted-socket/core'
import type { Duplex } from 'node:stream'
import { verifyClientToken } from '../auth'
import { SERVER_CLOSE } from '../closeCodes'
import type { DropCounts, ServerConnection } from '../connection'
import { resPlaintext, type Answer } from '../delivery/answer'
import type { KeyHolder } from '../delivery/idempotencyKeys'
import type { RoomEntry, RoomPosition } from '../delivery/roomLog'
import type { Session, SessionOwner } from '../delivery/session'
import type { OutgoingMessage } from '../outgoing'
import type { ConnectionProtocol, PendingSeal, SealedFrame, WorkerKey } from '../protocol'
import { refuseJoinOf } from '../roomAuthorization'
import { ClientStream } from './clientStream'
import type { RecordChannel, SealedRecord } from './recordChannel'
import { recordJsonTooDeep, viewOf } from './recordJson'
import { handleMessage } from './handleMessage'
import { advance, countRecovery, release, reopenRooms, type ReopenedRooms } from './roomStreams'
import { TokenExpiry } from './tokenExpiry'
import { V2Handshake } from './v2Handshake'

const RATE_NOTICE = 'Too many messages: the server holds the excess back.'
/** At most this many bytes wait in a cork (`#cork`) before they are written. */
const CORK_BYTES = 64 * 1024

/** A message the server sends: `t` and its fields (PROTOCOL-v2.md §4). */
type Outgoing = { t: string } & Record<string, unknown>

/**
 * Protocol v2 (docs/protocol-v2.md) on one connection: the handshake, then binary records in both
 * directions under per-direction keys and implicit counters. Every violation is fatal (4001);
 * records are held back, never dropped, when the client goes over its budget. Once ready, the
 * connection is attached to a session (new, or resumed, §6): what it sends to the connection or
 * its user is numbered on the session stream and kept until acknowledged; room messages carry
 * their room stream's seq; requests are answered with `res`.
 */
export class V2Protocol implements ConnectionProtocol {
  readonly version = 2
  readonly #connection: ServerConnection
  readonly #handshake: V2Handshake
  #state: 'handshake' | 'authenticating' | 'ready' | 'failed' = 'handshake'
  #channel: RecordChannel | null = null
  /** Sealed records wait here until every record before them was written. */
  readonly #held = new Map<number, Buffer>()
  #nextWrite: number
  #stream: ClientStream | null = null
  #session: Session | null = null
  /** How the session sees this connection. */
  readonly #owner: SessionOwner = { flush: () => this.#flush(), supersede: () => this.#superseded() }
  /** The last session-stream seq written to this connection. */
  #written = 0
  /** The TCP socket while it is corked, until the next tick (`#cork`). */
  #corked: Duplex | null = null
  /** `ready` and the replays are out: live messages may be written. */
  #live = false
  /** The idempotency keys this connection processes are remembered until after it ends. */
  readonly #keyHolder: KeyHolder = { endedAt: null }
  /** The session ends with its token unless a fresh one arrives in band (§5). */
  readonly #expiry: TokenExpiry

  constructor(connection: ServerConnection) {
    this.#connection = connection
    this.#handshake = new V2Handshake(connection)
    this.#nextWrite = connection.options.initialRecordCounter
    this.#expiry = new TokenExpiry(() => this.#tokenExpired(), connection.options.now)
  }

  get awaitingAuth(): boolean {
    return this.#handshake.pending
  }

  start(): void {
    this.#handshake.start()
  }

  /** The socket closed: the session waits for a resume. */
  stop(): void {
    this.#expiry.stop()
    this.#stream?.stop()
    this.#live = false
    this.#keyHolder.endedAt = this.#connection.options.now()
    this.#connection.host.keys.ended?.(this.#keyHolder)
    if (this.#session) this.#connection.host.sessions.end(this.#session, this.#owner)
  }

  receive(data: Buffer, isBinary: boolean): void {
    if (this.#state === 'ready') return this.#receiveRecord(data, isBinary)
    if (this.#state === 'failed') return
    const step = this.#handshake.receive(data, isBinary)
    if (step.type === 'violation') return this.#violation(step.reason, step.dropped)
    if (step.type !== 'auth') return
    this.#channel = step.channel
    this.#state = 'authenticating'
    this.#connection.enqueue(0, () => this.#authenticate(step.token, step.resume))
  }

  /** On the session stream: numbered, kept until acknowledged, written when the client reads. */
  deliver(message: OutgoingMessage): boolean {
    return this.#session?.push((seq) => message.v2PlaintextWith({ seq })) ?? false
  }

  /** A room message (numbered on its room's stream) or a broadcast (not numbered, not resumable). */
  seal(message: OutgoingMessage): SealedFrame | null {
    const plaintext = this.#fanOutPlaintext(message)
    return plaintext && this.#seal(plaintext)
  }

  reserve(message: OutgoingMessage): PendingSeal | null {
    const plaintext = this.#fanOutPlaintext(message)
    const channel = this.#channel
    if (!plaintext || !channel) return null
    const n = channel.take()
    if (n === null) {
      this.#connection.close(SERVER_CLOSE.REKEY, 'Re-key: record limit reached')
      return null
    }
    return {
      counter: n,
      plaintext,
      sealHere: () => channel.sealTaken(n, plaintext),
      complete: (frame) => void this.write(frame),
    }
  }

  workerKey(): WorkerKey | null {
    return this.#channel && { protocol: 2, key: this.#channel.sealingKey }
  }

  /** Writes records in counter order: one sealed after another but written first waits for it. */
  write(frame: SealedFrame): boolean {
    if (typeof frame === 'string') return false
    this.#cork()
    this.#held.set(frame.n, frame.bytes)
    while (this.#held.has(this.#nextWrite)) {
      const bytes = this.#held.get(this.#nextWrite)!
      this.#held.delete(this.#nextWrite++)
      this.#connection.transmit(bytes)
    }
    // Held bytes count as unread (`bufferedAmount`): they leave before they could pass half the
    // high-water mark, so that a burst to a client that reads is never taken for a slow consumer.
    const corked = this.#corked
    if (
      corked &&
      corked.writableLength >= Math.min(CORK_BYTES, this.#connection.options.sendHighWaterMark / 2)
    ) {
      this.#uncork()
    }
    return this.#connection.socket.readyState === this.#connection.socket.OPEN
  }

  notice(code: string, message: string): void {
    this.#send({ t: 'error', code, message })
  }

  /**
   * The records written in one burst (until the microtasks of this turn ran: e.g. the answers to
   * every record of one TCP read) leave in one socket write instead of one each. `ws` exposes no
   * cork of its own; its TCP socket is `_socket` (as in `whenDrained`, `ws` is pinned).
   */
  #cork(): void {
    if (this.#corked) return
    const raw = (this.#connection.socket as unknown as { _socket?: Duplex })._socket
    if (!raw?.cork) return
    this.#corked = raw
    raw.cork()
    process.nextTick(() => this.#uncork(raw))
  }

  /** Writes what the cork holds (at the next tick, or before waiting for the client to read). */
  #uncork(raw = this.#corked): void {
    if (!raw || this.#corked !== raw) return
    this.#corked = null
    raw.uncork()
  }

  /** Drain: the acknowledgement due goes out now; the session's changes reach the shared store. */
  async drained(): Promise<void> {
    this.#stream?.flush()
    await this.#session?.journal?.flushed()
  }

  async #authenticate(token: string, resume: ResumeRequest | undefined): Promise<void> {
    const connection = this.#connection
    const { options, sessions } = connection.host
    const verified = await verifyClientToken(options.verifyToken, token)
    if (!this.#open()) return
    if ('refused' in verified) {
      connection.host.events.tokensRefused[verified.refused]++
      options.logger.warn('authentication refused', { connection: connection.id, reason: verified.reason })
      if (verified.refused === 'expired') {
        this.notice('TOKEN_EXPIRED', 'The token expired: connect again with a fresh one.')
        return connection.close(SERVER_CLOSE.TOKEN_EXPIRED, 'Token expired')
      }
      if (verified.refused === 'unavailable') {
        // The token could not be checked (the identity provider is unreachable): not a bad token.
        this.notice('AUTH_UNAVAILABLE', 'Tokens cannot be checked now: try again later.')
        return connection.close(SERVER_CLOSE.TRY_AGAIN_LATER, 'Try again later')
      }
      this.notice('AUTH_FAILED', 'Authentication failed')
      return connection.close(SERVER_CLOSE.POLICY_VIOLATION, 'Authentication failed')
    }
    const { userId, expiresAt } = verified.accepted
    if (!connection.admit(userId)) {
      this.notice('TOO_MANY_CONNECTIONS', 'Too many connections')
      return connection.close(SERVER_CLOSE.TRY_AGAIN_LATER, 'Too many connections for this user')
    }
    connection.expiresAt = expiresAt
    const resumed = resume ? await this.#resume(resume, userId) : null
    if (!this.#open()) return
    const session = resumed ?? this.#attach(sessions.open(userId))
    connection.markAuthenticated()
    const rooms = resumed ? await reopenRooms(connection, resumed, resume!.rooms) : null
    if (!this.#open() || session.owner !== this.#owner) return
    this.#stream = new ClientStream((seq) => this.#send({ t: 'ack', seq }), session.lastProcessed)
    this.#state = 'ready'
    this.#send({
      t: 'ready',
      id: connection.id,
      userId,
      session: session.id,
      resumed: resumed !== null,
      seq: session.lastProcessed,
      rooms: rooms?.positions ?? {},
      heartbeat: options.heartbeat,
      time: options.now(),
      ...(expiresAt === undefined ? {} : { expiresAt }),
    })
    this.#expiry.set(expiresAt)
    // Replayed first, all before any live message: the session stream, then each room's.
    this.#live = true
    if (resumed) connection.host.counters.replayed += session.lastSeq - this.#written
    this.#flush()
    if (rooms) this.#replayRooms(rooms)
  }

  /**
   * The session a resume asks for, attached to this connection, or null (a new session then).
   * A connection still attached to it is closed with 4009, and the message it is processing
   * finishes first, so that `ready.seq` counts it.
   */
  async #resume(request: ResumeRequest, userId: string): Promise<Session | null> {
    const { sessions, counters, options } = this.#connection.host
    const refuse = (reason: string) => {
      counters.resumesRefused++
      options.logger.info('resume refused', { connection: this.#connection.id, reason })
      return null
    }
    const found = await sessions.find(request, userId)
    if (typeof found === 'string') return refuse(found)
    if (!this.#open()) return null
    this.#attach(found)
    await found.settled()
    if (found.owner !== this.#owner) return null // resumed again meanwhile: this connection is closing
    if (request.seq < found.floor) {
      sessions.end(found, this.#owner)
      this.#session = null
      return refuse('overflowed')
    }
    found.acknowledge(request.seq)
    this.#written = request.seq
    counters.resumes++
    return found
  }

  #attach(session: Session): Session {
    this.#session = session
    session.attach(this.#owner)
    return session
  }

  /** Every room's missed messages in the order of `ready.rooms`, then the live ones held meanwhile. */
  #replayRooms({ positions, missed }: ReopenedRooms): void {
    const rooms = Object.keys(positions)
    for (const room of rooms) this.#replay(missed.get(room)!)
    for (const room of rooms) {
      const cursor = this.#session!.rooms.get(room)
      if (cursor) for (const entry of release(cursor, positions[room]!)) this.#sendPlaintext(entry.plaintext)
    }
  }

  /** Another connection resumed the session. */
  #superseded(): void {
    this.#live = false
    this.#connection.host.counters.superseded++
    this.#connection.close(SERVER_CLOSE.SUPERSEDED, 'Superseded by a resume')
  }

  /** Writes the session-stream messages this connection has not had, while the client reads. */
  #flush(): void {
    const session = this.#session
    if (!this.#live || !session || session.owner !== this.#owner) return
    for (const entry of session.after(this.#written)) {
      // What the cork holds counts as unread: written first, it may be read already. Else wait
      // for `drain`, which only a write to a full socket brings (one held back by a cork does not).
      if (!this.#connection.canWrite()) this.#uncork()
      if (!this.#connection.canWrite()) return this.#connection.whenDrained(() => this.#flush())
      if (!this.#sendPlaintext(entry.plaintext)) return
      this.#written = entry.seq
    }
  }

  /**
   * What a fan-out sends this connection: a broadcast's record plaintext once live, or a live room
   * entry's (held during a replay, skipped when sent already); null for nothing.
   */
  #fanOutPlaintext(message: OutgoingMessage): Uint8Array | null {
    if (!message.room) return this.#live ? message.v2Plaintext() : null
    const { name, entry } = message.room
    const cursor = this.#owned()?.rooms.get(name)
    if (!cursor) return null
    if (cursor.held) {
      cursor.held.push(entry)
      return null
    }
    return this.#live && advance(cursor, entry) ? entry.plaintext : null
  }

  /** A record after `ready`: opened now, in arrival order; handled in order through the queue. */
  #receiveRecord(data: Buffer, isBinary: boolean): void {
    const connection = this.#connection
    connection.showFrame('in', isBinary ? data : data.toString('utf8'))
    if (!isBinary) return this.#violation('A text frame after the handshake')
    const plaintext = this.#channel!.open(data)
    if (!plaintext) return this.#violation('A record did not open', 'undecryptable')
    // The message itself is one level: {"t":…,"data":…}.
    if (recordJsonTooDeep(plaintext, connection.options.maxDepth + 1)) {
      this.#state = 'failed'
      this.notice('BAD_MESSAGE', `A message nested deeper than ${connection.options.maxDepth} levels.`)
      return connection.refuse(SERVER_CLOSE.TOO_BIG, 'Message nested too deep')
    }
    const read = readMessage(viewOf(plaintext), 'client')
    if (read.type === 'violation') return this.#violation(read.reason)
    // The client reads again: what waited behind the high-water mark goes out.
    if (this.#session && this.#session.lastSeq > this.#written) this.#flush()
    if (read.type === 'unknown') return this.#queue(data.length, () => undefined) // ignored, but budgeted
    const message = read.message
    switch (message.t) {
      case 'ping':
        // Answered at once, ahead of slow handlers, while within the budget.
        if (connection.spendBudget(data.length)) return void this.#send({ t: 'pong', n: message.n })
        return this.#queue(data.length, () => void this.#send({ t: 'pong', n: message.n }))
      case 'msg':
        return this.#receiveMsg(message, data.length)
      case 'ack':
        if (!this.#session!.acknowledge(message.seq))
          return this.#violation('An ack beyond what the server sent')
        return this.#queue(data.length, () => undefined)
      case 'join':
        return this.#queue(data.length, () => this.#join(message.room, message.since))
      case 'leave':
        return this.#queue(data.length, () => this.#leave(message.room))
      case 'token':
        return this.#queue(data.length, () => this.#refreshToken(message.token))
      default:
        return this.#violation(`An ${message.t} after record #0`)
    }
  }

  #receiveMsg(message: MsgMessage, size: number): void {
    const { seq } = message
    if (seq === undefined) return this.#violation('A msg without seq')
    const arrival = this.#stream!.arrive(seq)
    if (arrival === 'gap') return this.#violation(`msg seq ${seq} skips ahead`)
    this.#queue(size, () => (arrival === 'repeat' ? this.#repeated() : this.#process(message, seq)))
  }

  #repeated(): void {
    this.#connection.host.counters.duplicatesRefused++
    this.#stream!.repeated()
  }

  /** Processes a new client seq (unless superseded: the connection that resumed the session gets it again). */
  async #process(message: MsgMessage, seq: number): Promise<void> {
    const session = this.#owned()
    if (!session) return
    // Strictly in order: a record the server could not take (its queue was full, so it is
    // closing) leaves a hole, and nothing after it may be processed or acknowledged past it.
    if (seq !== session.lastProcessed + 1) {
      return this.#connection.close(SERVER_CLOSE.TRY_AGAIN_LATER, 'Too many records in flight')
    }
    try {
      await session.process(async () => {
        const answer = await handleMessage(this.#connection, this.#keyHolder, message)
        session.markProcessed(seq)
        if (message.id !== undefined) this.#answer(session, message.id, answer)
        this.#stream!.processed(seq, message.id !== undefined)
      })
    } catch (error) {
      // Not processed and not acknowledged: the client sends it again after a resume.
      this.#connection.options.logger.error('message not processed', {
        connection: this.#connection.id,
        error: String(error),
      })
      this.#connection.close(1011, 'Internal error')
    }
  }

  /** A `res` on the session stream (it also acknowledges the request's seq). */
  #answer(session: Session, id: number, answer: Answer): void {
    const { counters } = this.#connection.host
    counters.requests++
    if (answer.error) counters.requestsFailed++
    session.push((seq) => resPlaintext(id, seq, answer))
  }

  async #join(room: string, since: RoomPosition | undefined): Promise<void> {
    const connection = this.#connection
    const session = this.#owned()
    if (!session) return
    if (!connection.rooms.has(room)) {
      const refusal = await refuseJoinOf(connection, room)
      if (this.#owned() !== session) return
      if (refusal) {
        connection.options.logger.info('join refused', { connection: connection.id, code: refusal.code })
        return void this.#send({ t: 'denied', room, ...refusal })
      }
    }
    const cursor = session.rooms.get(room) ?? { epoch: '', seq: 0, held: null }
    cursor.held ??= [] // live messages wait while what was missed is read
    session.joinRoom(room, cursor)
    if (!connection.rooms.has(room)) {
      connection.rooms.add(room)
      connection.host.onRoomChange(connection, 'join', [room])
    }
    const { epoch, seq, missed } = await connection.host.roomLog.read(room, since)
    if (session.rooms.get(room) !== cursor || !this.#owned()) return
    if (since) countRecovery(connection.host.counters, missed)
    this.#send({ t: 'joined', room, epoch, seq, ...(since ? { recovered: missed !== null } : {}) })
    this.#replay(missed ?? [])
    for (const entry of release(cursor, { epoch, seq })) this.#sendPlaintext(entry.plaintext)
  }

  #leave(room: string): void {
    const connection = this.#connection
    const session = this.#owned()
    if (!session) return
    session.leaveRoom(room)
    if (connection.rooms.delete(room)) connection.host.onRoomChange(connection, 'leave', [room])
  }

  /**
   * A fresh token, in band: it must verify and be the same user's; then the session lasts until
   * its expiry. Refused: `TOKEN_REFUSED`, close 4401 (the client does not retry). When tokens
   * cannot be checked now (the identity provider is down), the session goes on with the old one.
   */
  async #refreshToken(token: string): Promise<void> {
    const connection = this.#connection
    const { options } = connection
    const verified = await verifyClientToken(options.verifyToken, token)
    if (!this.#open()) return
    const { tokenRefreshes } = connection.host.events
    if ('refused' in verified && verified.refused === 'unavailable') {
      tokenRefreshes.unavailable++
      options.logger.warn('token refresh not checked', { connection: connection.id, reason: verified.reason })
      return this.notice(
        'AUTH_UNAVAILABLE',
        'The fresh token cannot be checked now; the session lasts until the current one expires.',
      )
    }
    if ('refused' in verified || verified.accepted.userId !== connection.userId) {
      const reason = 'refused' in verified ? verified.reason : 'ANOTHER_USER'
      tokenRefreshes.refused++
      options.logger.warn('token refresh refused', { connection: connection.id, reason })
      this.notice('TOKEN_REFUSED', 'The refreshed token was refused.')
      return connection.close(SERVER_CLOSE.TOKEN_REFUSED, 'Token refused')
    }
    const { expiresAt } = verified.accepted
    tokenRefreshes.accepted++
    connection.expiresAt = expiresAt
    this.#expiry.set(expiresAt)
    this.#send({ t: 'token_ok', ...(expiresAt === undefined ? {} : { expiresAt }) })
  }

  #tokenExpired(): void {
    this.#connection.host.events.sessionsExpired++
    this.#connection.options.logger.info('session ended with its token', { connection: this.#connection.id })
    this.notice('TOKEN_EXPIRED', 'The token expired: connect again with a fresh one.')
    this.#connection.close(SERVER_CLOSE.TOKEN_EXPIRED, 'Token expired')
  }

  /** The session, while this connection is the one attached to it. */
  #owned(): Session | null {
    const session = this.#session
    return session && session.owner === this.#owner ? session : null
  }

  #open(): boolean {
    return this.#connection.socket.readyState === this.#connection.socket.OPEN
  }

  #replay(entries: readonly RoomEntry[]): void {
    for (const entry of entries) this.#sendPlaintext(entry.plaintext)
    this.#connection.host.counters.replayed += entries.length
  }

  /** Handles a record after the ones before it, once the budgets allow it. */
  #queue(size: number, handle: () => Promise<void> | void): void {
    this.#connection.enqueueWithinBudget(size, handle, RATE_NOTICE)
  }

  #violation(reason: string, dropped: keyof DropCounts = 'malformed'): void {
    this.#state = 'failed'
    this.#connection.refuse(SERVER_CLOSE.VIOLATION, reason, dropped)
  }

  #send(message: Outgoing): boolean {
    return this.#sendPlaintext(encodeRecordPlaintext(JSON.stringify(message)))
  }

  #sendPlaintext(plaintext: Uint8Array): boolean {
    const sealed = this.#seal(plaintext)
    return sealed !== null && this.write(sealed)
  }

  /** The next s2c record, or null (and a re-key close) at the record limit, or before the keys. */
  #seal(plaintext: Uint8Array): SealedRecord | null {
    const channel = this.#channel
    if (!channel) return null
    const sealed = channel.seal(plaintext)
    if (!sealed) this.#connection.close(SERVER_CLOSE.REKEY, 'Re-key: record limit reached')
    return sealed
  }
}
