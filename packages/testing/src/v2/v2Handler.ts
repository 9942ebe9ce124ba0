// One v2 connection on the mock server (PROTOCOL-v2.md §2): the welcome at once, then the hello
// and record #0 (`auth`), the token's verdict, `ready`; then the V2Session. Frames are handled one
// at a time, in arrival order; any deviation closes 4001.
import {
  deriveRecordKeys,
  deriveSharedSecret,
  importPeerPublicKey,
  openRecord,
  parseHello,
  readMessage,
  transcriptHash,
  type RecordKeys,
} from '@encrypted-socket/core'
import type { Client } from 'mock-socket'
import { welcomeFaultOf } from '../handshakeMode'
import type { MockConnection } from '../mockConnection'
import type { ServerContext } from '../serverContext'
import { verdictOf } from '../tokenVerdict'
import { controlItem, dataItem } from './items'
import { prepareWelcome, type PreparedWelcome } from './prepareWelcome'
import { V2Session } from './v2Session'

type Frame = { text: string } | { bytes: Uint8Array<ArrayBuffer> } | null

export class V2Handler {
  readonly #context: ServerContext
  readonly #connection: MockConnection
  readonly #socket: Client
  readonly #welcome: Promise<PreparedWelcome>
  #phase: 'hello' | 'auth' | 'answering' | 'ready' | 'closed' = 'hello'
  #keys: RecordKeys | null = null
  #session: V2Session | null = null
  #queue: Promise<void>
  #pending = 0

  constructor(context: ServerContext, connection: MockConnection, socket: Client) {
    this.#context = context
    this.#connection = connection
    this.#socket = socket
    this.#welcome = prepareWelcome(welcomeFaultOf(context.mode()), context.options.identity)
    this.#queue = this.#welcome.then((welcome) => {
      if (connection.isOpen) for (const frame of welcome.frames) connection.sendRaw(frame)
    })
    connection.onSettled(() => this.#queue)
  }

  receive(data: unknown): void {
    const frame = readFrame(data)
    if (frame && 'text' in frame) this.#connection.frames.push(frame.text)
    if (frame && 'bytes' in frame) {
      this.#connection.records.push(frame.bytes)
      this.#connection.rememberRecord(frame.bytes)
    }
    this.#pending++
    this.#queue = this.#queue
      .then(() => this.#handle(frame))
      .catch((error: unknown) =>
        this.#connection.errors.push(error instanceof Error ? error.message : String(error)),
      )
      .then(() => undefined)
      .finally(() => {
        if (--this.#pending === 0) this.#session?.idle()
      })
  }

  closed(): void {
    this.#phase = 'closed'
    this.#session?.close()
  }

  async #handle(frame: Frame): Promise<void> {
    if (this.#phase === 'closed' || this.#phase === 'answering') return
    if (!frame) return this.#violate('a frame that is neither text nor bytes')
    if (this.#phase === 'hello') {
      if (!('text' in frame)) return this.#violate('a binary frame before the hello')
      return this.#hello(frame.text)
    }
    if (!('bytes' in frame)) return this.#violate('a text frame after the hello')
    if (this.#phase === 'auth') return this.#auth(frame.bytes)
    return this.#session!.handle(frame.bytes)
  }

  async #hello(text: string): Promise<void> {
    const clientPublicKey = parseHello(text)
    if (!clientPublicKey) return this.#violate('not a hello')
    const welcome = await this.#welcome
    try {
      const peer = await importPeerPublicKey(clientPublicKey)
      const [shared, th] = await Promise.all([
        deriveSharedSecret(welcome.privateKey, peer),
        transcriptHash(welcome.text, clientPublicKey),
      ])
      this.#keys = await deriveRecordKeys(shared, welcome.salt, th, this.#context.options.ecdhInfo)
    } catch {
      return this.#violate('the hello key is not on the curve')
    }
    this.#phase = 'auth'
  }

  async #auth(record: Uint8Array<ArrayBuffer>): Promise<void> {
    const keys = this.#keys!
    let read
    try {
      read = readMessage(await openRecord(keys.c2s, 0, record), 'client')
    } catch {
      return this.#violate('record #0 did not open')
    }
    if (read.type !== 'message' || read.message.t !== 'auth') return this.#violate('record #0 is not an auth')
    const { token, resume } = read.message
    const connection = this.#connection
    connection.resumeRequest = resume ?? null
    const mode = this.#context.mode()
    this.#phase = 'answering'
    if (mode.type === 'hang') return // record #0 is never answered: the client's handshakeTimeout fires
    const verdict = await verdictOf(mode, token, this.#context.options.verifyToken, 'v2')
    connection.startRecords(keys.s2c)
    if ('code' in verdict) {
      await connection.recordWriter.write([
        controlItem({ t: 'error', code: verdict.errorCode, message: verdict.message }),
      ])
      return this.#close(verdict.code, verdict.message)
    }
    connection.userId = verdict.userId
    this.#session = new V2Session(this.#context, connection, keys.c2s, (reason, code) =>
      this.#violate(reason, code),
    )
    const pushed = this.#context.options.welcome?.(connection) ?? []
    await connection.recordWriter.write([
      controlItem({
        t: 'ready',
        id: connection.id,
        userId: verdict.userId,
        session: `${connection.id}-session`,
        resumed: false,
        seq: 0,
        rooms: {},
        heartbeat: this.#context.options.heartbeat,
        time: Date.now(),
      }),
      ...pushed.map(({ event, data }) => dataItem({ t: 'msg', event }, data)),
    ])
    if (this.#phase !== 'answering') return
    this.#phase = 'ready'
    connection.markReady()
    this.#context.authenticated(connection)
  }

  #violate(reason: string, code = 4001): void {
    this.#connection.errors.push(reason)
    this.#close(code, reason)
  }

  #close(code: number, reason: string): void {
    if (this.#phase === 'closed') return
    this.closed()
    this.#socket.close({ code, reason, wasClean: true })
  }
}

/** A text frame, a binary one (ArrayBuffer, Uint8Array, Buffer), or null for anything else. */
function readFrame(data: unknown): Frame {
  if (typeof data === 'string') return { text: data }
  if (ArrayBuffer.isView(data))
    return { bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice() }
  if (Object.prototype.toString.call(data) === '[object ArrayBuffer]')
    return { bytes: new Uint8Array(data as ArrayBuffer).slice() }
  return null
}
