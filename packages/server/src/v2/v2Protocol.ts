import { encodeRecordPlaintext, readMessage, type ClientMessage } from '@encrypted-socket/core'
import { verifyClientToken } from '../auth'
import { SERVER_CLOSE } from '../closeCodes'
import type { DropCounts, ServerConnection } from '../connection'
import type { OutgoingMessage } from '../outgoing'
import type { ConnectionProtocol, SealedFrame } from '../protocol'
import { roomRefusal } from '../rooms'
import { ClientStream } from './clientStream'
import type { RecordChannel, SealedRecord } from './recordChannel'
import { recordJsonTooDeep, viewOf } from './recordJson'
import { V2Handshake } from './v2Handshake'

const RATE_NOTICE = 'Too many messages: the server holds the excess back.'

/** A message the server sends: `t` and its fields (PROTOCOL-v2.md §4). */
type Outgoing = { t: string } & Record<string, unknown>

/**
 * Protocol v2 (docs/protocol-v2.md) on one connection: the handshake, then binary records in both
 * directions under per-direction keys and implicit counters. Every violation is fatal (4001);
 * records are held back, never dropped, when the client goes over its budget.
 */
export class V2Protocol implements ConnectionProtocol {
  readonly version = 2
  readonly #connection: ServerConnection
  readonly #handshake: V2Handshake
  readonly #stream: ClientStream
  /** A fresh id per connection until sessions can be resumed. */
  readonly #session = crypto.randomUUID()
  #state: 'handshake' | 'authenticating' | 'ready' | 'failed' = 'handshake'
  #channel: RecordChannel | null = null
  /** Sealed records wait here until every record before them was written. */
  readonly #held = new Map<number, Buffer>()
  #nextWrite: number

  constructor(connection: ServerConnection) {
    this.#connection = connection
    this.#handshake = new V2Handshake(connection)
    this.#stream = new ClientStream((seq) => this.#send({ t: 'ack', seq }))
    this.#nextWrite = connection.options.initialRecordCounter
  }

  get awaitingAuth(): boolean {
    return this.#handshake.pending
  }

  start(): void {
    this.#handshake.start()
  }

  stop(): void {
    this.#stream.stop()
  }

  receive(data: Buffer, isBinary: boolean): void {
    if (this.#state === 'ready') return this.#receiveRecord(data, isBinary)
    if (this.#state === 'failed') return
    const step = this.#handshake.receive(data, isBinary)
    if (step.type === 'violation') return this.#violation(step.reason, step.dropped)
    if (step.type !== 'auth') return
    this.#channel = step.channel
    this.#state = 'authenticating'
    this.#connection.enqueue(0, () => this.#authenticate(step.token))
  }

  seal(message: OutgoingMessage): SealedFrame | null {
    return this.#state === 'ready' ? this.#seal(message.v2Plaintext()) : null
  }

  /** Writes records in counter order: one sealed after another but written first waits for it. */
  write(frame: SealedFrame): boolean {
    if (typeof frame === 'string') return false
    this.#held.set(frame.n, frame.bytes)
    while (this.#held.has(this.#nextWrite)) {
      const bytes = this.#held.get(this.#nextWrite)!
      this.#held.delete(this.#nextWrite++)
      this.#connection.transmit(bytes)
    }
    return this.#connection.socket.readyState === this.#connection.socket.OPEN
  }

  notice(code: string, message: string): void {
    this.#send({ t: 'error', code, message })
  }

  async #authenticate(token: string): Promise<void> {
    const connection = this.#connection
    const { options } = connection
    const verified = await verifyClientToken(options.verifyToken, token)
    if (connection.socket.readyState !== connection.socket.OPEN) return
    if ('refused' in verified) {
      options.logger.warn('authentication refused', { connection: connection.id, reason: verified.reason })
      if (verified.refused === 'expired') {
        this.notice('TOKEN_EXPIRED', 'The token expired: connect again with a fresh one.')
        return connection.close(SERVER_CLOSE.TOKEN_EXPIRED, 'Token expired')
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
    this.#state = 'ready'
    connection.markAuthenticated()
    this.#send({
      t: 'ready',
      id: connection.id,
      userId,
      session: this.#session,
      resumed: false,
      seq: this.#stream.lastProcessed,
      rooms: {},
      heartbeat: options.heartbeat,
      time: options.now(),
      ...(expiresAt === undefined ? {} : { expiresAt }),
    })
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
        // The server sends nothing numbered on the session stream yet: any ack past 0 is beyond it.
        if (message.seq > 0) return this.#violation('An ack beyond what the server sent')
        return this.#queue(data.length, () => undefined)
      case 'join':
        return this.#queue(data.length, () => this.#join(message.room, message.since !== undefined))
      case 'leave':
        return this.#queue(data.length, () => this.#leave(message.room))
      case 'token':
        connection.options.logger.debug('in-band token refresh is not supported yet', {
          connection: connection.id,
        })
        return this.#queue(data.length, () => undefined)
      default:
        return this.#violation(`An ${message.t} after record #0`)
    }
  }

  #receiveMsg(message: Extract<ClientMessage, { t: 'msg' }>, size: number): void {
    const { seq } = message
    if (seq === undefined) return this.#violation('A msg without seq')
    const arrival = this.#stream.arrive(seq)
    if (arrival === 'gap') return this.#violation(`msg seq ${seq} skips ahead`)
    this.#queue(size, async () => {
      if (arrival === 'repeat') return this.#stream.repeated()
      const connection = this.#connection
      const data = message.binary ? asBuffer(message.data as Uint8Array) : message.data
      await connection.host.onEvent(connection, message.event, data)
      this.#stream.processed(seq)
    })
  }

  #join(room: string, since: boolean): void {
    const connection = this.#connection
    const refusal = roomRefusal(connection.rooms, room)
    if (refusal) return void this.#send({ t: 'denied', room, ...refusal })
    if (!connection.rooms.has(room)) {
      connection.rooms.add(room)
      connection.host.onRoomChange(connection, 'join', [room])
    }
    // No room history yet: a `since` is answered with nothing recovered.
    const recovered = since ? { recovered: false } : {}
    this.#send({ t: 'joined', room, epoch: connection.host.roomEpoch(room), seq: 0, ...recovered })
  }

  #leave(room: string): void {
    const connection = this.#connection
    if (connection.rooms.delete(room)) connection.host.onRoomChange(connection, 'leave', [room])
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
    const sealed = this.#seal(encodeRecordPlaintext(JSON.stringify(message)))
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

/** The attachment as a Buffer over the same bytes (no copy). */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
}
