// A v2 connection after `ready` (PROTOCOL-v2.md §3–§6): records opened in order with the c2s
// counter, each client message handled (msg in seq order, ack, ping, join, leave, token), and
// coalesced acks. The mock keeps no history: no resume, rooms without streams.
import { openRecord, readMessage, type ClientMessage, type MsgMessage } from '@encrypted-socket/core'
import type { MockConnection } from '../mockConnection'
import type { ServerContext } from '../serverContext'
import type { MockMessage } from '../serverOptions'
import { controlItem, dataItem } from './items'
import type { RecordItem } from './recordWriter'

/** The room epoch the mock announces (its rooms never restart). */
export const MOCK_EPOCH = 'mock-1'

export class V2Session {
  readonly #context: ServerContext
  readonly #connection: MockConnection
  readonly #c2s: CryptoKey
  readonly #violate: (reason: string, code?: number) => void
  /** The next client record's counter (#0 was the auth). */
  #in = 1
  /** The last client seq processed, and whether an ack of it is due. */
  #processed = 0
  #ackDue = false
  #ackTimer: ReturnType<typeof setTimeout> | undefined
  /** The last seq of the session stream (the `res` messages). */
  #sessionSeq = 0
  #closed = false

  constructor(
    context: ServerContext,
    connection: MockConnection,
    c2s: CryptoKey,
    violate: (reason: string, code?: number) => void,
  ) {
    this.#context = context
    this.#connection = connection
    this.#c2s = c2s
    this.#violate = violate
  }

  async handle(record: Uint8Array<ArrayBuffer>): Promise<void> {
    const n = this.#in++
    let plaintext: Uint8Array<ArrayBuffer>
    try {
      plaintext = await openRecord(this.#c2s, n, record)
    } catch {
      return this.#violate(`record ${n} did not open`)
    }
    const read = readMessage(plaintext, 'client')
    if (read.type === 'violation') return this.#violate(read.reason)
    if (read.type === 'message') await this.#handleMessage(read.message)
  }

  /** Every frame that arrived back to back was handled: acknowledge them (ackDelay 0). */
  idle(): void {
    if (this.#context.options.ackDelay === 0) this.#flushAck()
  }

  close(): void {
    this.#closed = true
    clearTimeout(this.#ackTimer)
  }

  async #handleMessage(message: ClientMessage): Promise<void> {
    const connection = this.#connection
    switch (message.t) {
      case 'msg':
        return this.#handleMsg(message)
      case 'ack':
        if (message.seq > this.#sessionSeq)
          return this.#violate(`an ack of seq ${message.seq}, beyond what was sent`)
        connection.acknowledged = Math.max(connection.acknowledged, message.seq)
        return
      case 'ping':
        connection.heartbeats++
        return this.#write(controlItem({ t: 'pong', n: message.n }))
      case 'join': {
        const refusal = this.#context.roomRefusal(message.room)
        if (refusal) return this.#write(controlItem({ t: 'denied', room: message.room, ...refusal }))
        connection.rooms.add(message.room)
        return this.#write(
          controlItem({
            t: 'joined',
            room: message.room,
            epoch: MOCK_EPOCH,
            seq: 0,
            ...(message.since && {
              recovered:
                message.since.epoch === MOCK_EPOCH &&
                message.since.seq === 0 &&
                !this.#context.historyLost(message.room),
            }),
          }),
        )
      }
      case 'leave':
        connection.rooms.delete(message.room)
        return
      case 'token':
        return this.#refresh(message.token)
      case 'auth':
        return this.#violate('an auth after record #0')
    }
  }

  async #handleMsg(message: MsgMessage): Promise<void> {
    const { seq } = message
    if (seq === undefined) return this.#violate('a msg without seq')
    if (seq <= this.#processed) return this.#ackSoon() // a repeat: acknowledged again, not processed
    if (seq !== this.#processed + 1) return this.#violate(`seq ${seq} skips ahead of ${this.#processed}`)
    this.#processed = seq
    const received: MockMessage = { event: message.event, data: message.data, binary: message.binary, seq }
    for (const field of ['id', 'key', 'room'] as const)
      if (message[field] !== undefined) Object.assign(received, { [field]: message[field] })
    this.#connection.deliver(received)
    let result: { data: unknown } | { error: unknown }
    try {
      result = { data: await this.#context.options.onEvent?.(this.#connection, received) }
    } catch (error) {
      result = { error }
      if (message.id === undefined) this.#connection.errors.push(`onEvent threw: ${describe(error)}`)
    }
    if (message.id !== undefined) this.#respond(message.id, result)
    this.#ackSoon()
  }

  #respond(id: number, result: { data: unknown } | { error: unknown }): void {
    const seq = ++this.#sessionSeq
    if ('data' in result) return this.#write(dataItem({ t: 'res', id, seq }, result.data))
    this.#write({
      json: JSON.stringify({
        t: 'res',
        id,
        seq,
        error: { code: errorCode(result.error), message: describe(result.error) },
      }),
    })
  }

  async #refresh(token: string): Promise<void> {
    const verdict = await this.#context.options.verifyToken(token)
    if (typeof verdict === 'string') return this.#write(controlItem({ t: 'token_ok' }))
    await this.#connection.recordWriter.write([
      controlItem({ t: 'error', code: 'TOKEN_REFUSED', message: 'The refreshed token was refused' }),
    ])
    this.#violate('the refreshed token was refused', 4401)
  }

  #ackSoon(): void {
    this.#ackDue = true
    const delay = this.#context.options.ackDelay
    if (delay > 0) this.#ackTimer ??= setTimeout(() => this.#flushAck(), delay)
  }

  #flushAck(): void {
    clearTimeout(this.#ackTimer)
    this.#ackTimer = undefined
    if (!this.#ackDue || this.#closed) return
    this.#ackDue = false
    this.#write(controlItem({ t: 'ack', seq: this.#processed }))
  }

  #write(item: RecordItem): void {
    if (this.#closed) return
    this.#connection.recordWriter
      .write([item])
      .catch((error: unknown) => this.#connection.errors.push(describe(error)))
  }
}

/** A thrown error's own `code` (as the real server answers it), else HANDLER_ERROR. */
function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : 'HANDLER_ERROR'
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
