// Protocol v2 on an open socket (PROTOCOL-v2.md): the server's welcome, hello + the token in
// record #0, `ready`, then binary records both ways, each under its direction's key with an
// implicit counter, and ping/pong liveness. Any record that fails is fatal for the connection.
import { encodeBase64 } from '../crypto/base64'
import { EncryptedSocketError, keyMismatch, serverAuthError } from '../errors'
import { clientRecordKeys, type RecordKeys } from '../protocol/v2/keys'
import { msgJson, readMessage, type ServerMessage } from '../protocol/v2/messages'
import { encodeRecordPlaintext, MAX_RECORDS, openRecord, sealRecord } from '../protocol/v2/record'
import { encodeHello, parseWelcome, type Welcome } from '../protocol/v2/welcome'
import { CLIENT_CLOSE } from './reconnect'
import type { OutgoingMessage, Protocol, ProtocolContext } from './session'
import { TokenRefresh } from './tokenRefresh'

/** How far `validUntil` may lie from the client's clock, in ms (§2.2). */
const VALID_UNTIL_PAST = 5 * 60_000
const VALID_UNTIL_AHEAD = 10 * 60_000

type Phase = 'welcome' | 'handshake' | 'ready-wait' | 'ready'

/** Acks of the session stream are coalesced and sent within 50 ms (§4). */
const ACK_DELAY_MS = 25

const KEY_BYTES = 12
/** Random bytes for keys, drawn 256 keys at a time (one `getRandomValues` per 256 sends). */
let keyPool = new Uint8Array(0)
let keyOffset = 0

/** An idempotency key: 96 random bits, base64 (16 characters). */
function randomKey(): string {
  if (keyOffset === keyPool.length) {
    keyPool = crypto.getRandomValues(new Uint8Array(KEY_BYTES * 256))
    keyOffset = 0
  }
  keyOffset += KEY_BYTES
  return encodeBase64(keyPool.subarray(keyOffset - KEY_BYTES, keyOffset))
}

export class V2Protocol implements Protocol {
  readonly version = 'v2'
  readonly encrypted = true
  readonly #context: ProtocolContext
  #phase: Phase = 'welcome'
  #keys: RecordKeys | null = null
  /** Records sealed (the next c2s counter) and received (the next s2c counter). */
  #sent = 0
  #received = 0
  /** A coalesced `ack` of the session stream is due (sent within 50 ms, §4). */
  #ackTimer: ReturnType<typeof setTimeout> | undefined
  /** Frames are handled one at a time, in arrival order; records are written in counter order. */
  #frames = Promise.resolve()
  #writes = Promise.resolve()
  #pingTimer: ReturnType<typeof setInterval> | undefined
  #pongTimer: ReturnType<typeof setTimeout> | undefined
  #pings = 0
  readonly #tokenRefresh = new TokenRefresh(() => void this.#refreshToken())

  constructor(context: ProtocolContext) {
    this.#context = context
  }

  receive(data: unknown): void {
    // Anything from the server proves the connection alive.
    clearTimeout(this.#pongTimer)
    this.#pongTimer = undefined
    const bytes = toBytes(data)
    const frame =
      typeof data === 'string'
        ? { type: 'text' as const, text: data }
        : bytes
          ? this.#startOpening(bytes)
          : { type: 'unreadable' as const }
    this.#frames = this.#frames
      .then(() => (this.#context.disposed ? undefined : this.#handle(frame)))
      .catch((error: unknown) => this.#context.logError('[encrypted-socket] a record handler failed', error))
  }

  /** The counter is taken on arrival and decryption starts at once; results are read in order. */
  #startOpening(bytes: Uint8Array<ArrayBuffer>) {
    const n = this.#received++
    const key = this.#keys?.s2c
    const opening = key
      ? openRecord(key, n, bytes).then(
          (plaintext) => ({ ok: true as const, plaintext }),
          (error: unknown) => ({ ok: false as const, error }),
        )
      : null
    return { type: 'record' as const, n, opening }
  }

  async send(messages: readonly OutgoingMessage[]): Promise<number> {
    if (this.#phase !== 'ready') return 0
    const records = messages.map((message) => {
      const { event, dataJson, binary, seq, id } = message
      message.key ??= randomKey()
      const json = msgJson({ t: 'msg', seq, id, key: message.key }, event, dataJson, binary !== undefined)
      return this.#seal(encodeRecordPlaintext(json, binary))
    })
    return this.#writeInOrder(records)
  }

  changeRooms(type: 'join' | 'leave', rooms: readonly string[]): void {
    if (this.#phase !== 'ready') return
    const { session } = this.#context
    for (const room of rooms) {
      if (type === 'leave') session.left(room)
      const since = type === 'join' ? session.since(room) : undefined
      void this.#sendMessage(since ? { t: type, room, since } : { t: type, room })
    }
  }

  probe(): void {
    if (this.#phase === 'ready') this.#ping()
  }

  explainClose(code: number): EncryptedSocketError | undefined {
    // The server closes 4001 when our record #0 does not open: with our own client, that is a
    // key derived from another ecdhInfo.
    if (this.#phase === 'ready-wait' && code === CLIENT_CLOSE.PROTOCOL_VIOLATION) {
      return keyMismatch('the server could not open our first record')
    }
    return undefined
  }

  settled(): Promise<void> {
    return this.#frames
  }

  dispose(): void {
    this.#keys = null
    clearTimeout(this.#ackTimer)
    clearInterval(this.#pingTimer)
    clearTimeout(this.#pongTimer)
    this.#tokenRefresh.stop()
  }

  async #sendMessage(message: Record<string, unknown>): Promise<boolean> {
    return (await this.#writeInOrder([this.#seal(encodeRecordPlaintext(JSON.stringify(message)))])) === 1
  }

  /**
   * Starts sealing the next record now (its counter is taken in call order); null when there is
   * no key, or at the record limit (then a re-key). A record that fails to seal becomes null.
   */
  #seal(plaintext: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer> | null> | null {
    const key = this.#keys?.c2s
    if (!key) return null
    const n = this.#sent++
    if (n >= MAX_RECORDS) {
      this.#context.rekey() // the key has sealed all it may: a new connection brings a new one
      return null
    }
    return sealRecord(key, n, plaintext).catch(() => null)
  }

  /**
   * Writes records in counter order, after every record handed over before them (one step on the
   * chain per batch, not per record); resolves with how many, from the first, were written.
   */
  #writeInOrder(records: readonly (Promise<Uint8Array<ArrayBuffer> | null> | null)[]): Promise<number> {
    const written = this.#writes.then(async () => {
      let count = 0
      for (const sealed of records) {
        const record = await sealed
        if (!record || this.#context.disposed || !this.#context.write(record)) return count
        count++
      }
      return count
    })
    this.#writes = written.then(noop, noop)
    return written.catch(() => 0)
  }

  async #handle(
    frame:
      | { type: 'text'; text: string }
      | { type: 'unreadable' }
      | { type: 'record'; n: number; opening: Promise<Opening> | null },
  ): Promise<void> {
    if (frame.type === 'text') {
      if (this.#phase === 'welcome') return this.#handleWelcome(frame.text)
      return this.#violation(
        this.#phase === 'ready'
          ? 'a text frame after the handshake'
          : 'a second welcome or a text frame after it',
      )
    }
    if (frame.type === 'unreadable') return this.#violation('a frame that is neither text nor bytes')
    if (!frame.opening) return this.#violation('a record before the handshake')
    const opened = await frame.opening
    if (this.#context.disposed) return
    if (!opened.ok) {
      if (frame.n === 0) {
        return this.#context.giveUp(
          CLIENT_CLOSE.PROTOCOL_VIOLATION,
          keyMismatch('the server’s ready does not open'),
        )
      }
      const error = opened.error instanceof EncryptedSocketError ? opened.error : undefined
      return this.#context.fail(
        CLIENT_CLOSE.PROTOCOL_VIOLATION,
        error ?? new EncryptedSocketError('ERR_DECRYPT', `Record ${frame.n} did not open.`),
      )
    }
    const read = readMessage(opened.plaintext, 'server')
    if (read.type === 'violation') return this.#violation(read.reason)
    if (read.type === 'unknown') {
      return frame.n === 0 ? this.#violation('record #0 is not a ready') : undefined
    }
    return frame.n === 0 ? this.#handleFirst(read.message) : this.#handleMessage(read.message)
  }

  async #handleWelcome(text: string): Promise<void> {
    const context = this.#context
    this.#phase = 'handshake'
    const welcome = parseWelcome(text)
    if ('error' in welcome) return this.#violation(`bad welcome: ${welcome.error}`)
    let keys: RecordKeys
    try {
      const own = await context.keys
      const deriving = clientRecordKeys(
        own.privateKey,
        own.publicKey,
        text,
        welcome.serverPublicKey,
        welcome.salt,
        context.options.ecdhInfo,
      )
      deriving.catch(noop) // awaited below, unless the identity check fails first
      await this.#checkIdentity(welcome, own.publicKey)
      // The hello holds only our public key: sent now, the server derives its keys while we
      // derive ours (record #0 follows as soon as they exist, §2.3).
      context.write(encodeHello(own.publicKey))
      keys = await deriving
    } catch (cause) {
      if (context.disposed) return
      const error =
        cause instanceof EncryptedSocketError
          ? cause
          : new EncryptedSocketError('ERR_PROTOCOL', 'Key derivation failed.', { cause })
      const code =
        error.code === 'ERR_SERVER_AUTH' ? CLIENT_CLOSE.SERVER_AUTH : CLIENT_CLOSE.PROTOCOL_VIOLATION
      return context.fail(code, error)
    }
    const token = await context.token()
    if (token === undefined || context.disposed) return
    this.#keys = keys
    this.#phase = 'ready-wait'
    const resume = context.session.resumeRequest()
    void this.#sendMessage(resume ? { t: 'auth', token, resume } : { t: 'auth', token })
  }

  /** With a pinned identity: the signature over the welcome, and `validUntil` near our clock. */
  async #checkIdentity(welcome: Welcome, clientPublicKey: Uint8Array<ArrayBuffer>): Promise<void> {
    const pin = this.#context.options.serverIdentity
    if (!pin) return
    const { serverPublicKey, salt, validUntil, identityKey, signature } = welcome
    await pin({
      protocol: 'v2',
      identityKey,
      signature,
      clientPublicKey,
      serverPublicKey,
      salt,
      validUntil,
    })
    const now = Date.now()
    if (validUntil < now - VALID_UNTIL_PAST || validUntil > now + VALID_UNTIL_AHEAD) {
      throw serverAuthError(
        `the signed welcome is valid until ${new Date(validUntil).toISOString()}, too far from this device's clock (${new Date(now).toISOString()}); check the device clock`,
      )
    }
  }

  /** Record #0: `ready`, or the server's reason to refuse us. */
  #handleFirst(message: ServerMessage): void {
    const context = this.#context
    if (message.t === 'error') {
      const reason = `${context.scrub(message.code)}: ${context.scrub(message.message)}`
      if (message.code === 'TOKEN_EXPIRED') {
        const error = new EncryptedSocketError('ERR_REJECTED', `The token expired (${reason}).`, {
          closeCode: 4401,
        })
        return context.fail(4401, error, 'token-expired')
      }
      // AUTH_FAILED (then 1008) or another refusal (too many connections…): the server's close
      // follows, and the close-code policy (reconnect.shouldReconnect) decides, as in v1.
      return context.report(new EncryptedSocketError('ERR_SERVER', `Server error ${reason}`))
    }
    if (message.t !== 'ready') return this.#violation(`record #0 is a ${message.t}, not a ready`)
    const { session } = context
    const resumed = message.resumed && message.session === session.id
    if (resumed && message.seq > session.sent) {
      return this.#violation(`ready.seq ${message.seq} is beyond what was sent (${session.sent})`)
    }
    this.#phase = 'ready'
    const start = session.start(message.session, resumed, message.rooms)
    if (resumed) session.sent = message.seq
    context.authenticated({
      clientId: message.id,
      userId: message.userId,
      session: { ...start, resumed, processed: resumed ? message.seq : 0 },
    })
    if (context.disposed) return
    this.#tokenRefresh.start(message.expiresAt, message.time)
    const interval = message.heartbeat > 0 ? message.heartbeat : context.options.heartbeatInterval
    if (context.disposed || interval <= 0) return
    this.#pingTimer = setInterval(() => this.#ping(), interval)
  }

  #handleMessage(message: ServerMessage): void {
    const context = this.#context
    switch (message.t) {
      case 'msg':
        return this.#handleMsg(message)
      case 'res': {
        if (!this.#arrive(message.seq, undefined)) return
        const { id, error, data } = message
        return context.answered(id, error ? { error } : { data })
      }
      case 'ack':
        if (message.seq > context.session.sent) {
          return this.#violation(`an ack of seq ${message.seq}, beyond what was sent`)
        }
        return context.acknowledged(message.seq)
      case 'joined':
        context.roomJoined(message.room)
        if (context.session.joined(message.room, message.epoch, message.seq, message.recovered)) {
          context.gap({ scope: 'room', room: message.room })
        }
        return
      case 'error':
        if (message.code === 'TOKEN_EXPIRED') {
          // Not refreshed in time (no getToken, or it failed): reconnect at once with a fresh one.
          const error = new EncryptedSocketError(
            'ERR_REJECTED',
            __DEV__
              ? 'The session ended with its token; reconnecting with a fresh one.'
              : 'The token expired.',
            {
              closeCode: 4401,
            },
          )
          return context.fail(4401, error, 'token-expired')
        }
        return context.report(
          new EncryptedSocketError(
            'ERR_SERVER',
            `Server error (${context.scrub(message.code)}): ${context.scrub(message.message)}`,
          ),
        )
      case 'denied':
        context.session.left(message.room)
        context.roomDenied(message.room, {
          code: context.scrub(message.code),
          message: context.scrub(message.message),
        })
        return context.report(
          new EncryptedSocketError(
            'ERR_ROOM_DENIED',
            `The server refused room "${message.room}" (${message.code}): ${context.scrub(message.message)}`,
          ),
        )
      case 'ready':
        return this.#violation('a second ready')
      case 'token_ok':
        return this.#tokenRefresh.renewed(message.expiresAt)
      case 'pong':
        return
    }
  }

  /** Sends a fresh token before this one expires (§5); without one, the session ends with it. */
  async #refreshToken(): Promise<void> {
    const token = await this.#context.refreshToken()
    if (token === undefined || this.#context.disposed || this.#phase !== 'ready') return
    void this.#sendMessage({ t: 'token', token })
  }

  #handleMsg(message: Extract<ServerMessage, { t: 'msg' }>): void {
    if (message.seq !== undefined && !this.#arrive(message.seq, message.room)) return
    this.#context.event(message.event, message.data)
  }

  /**
   * A numbered message: false for a repeat (a replay overlapping what was delivered). A hole
   * before it is reported as a gap; the session stream's position is acknowledged soon.
   */
  #arrive(seq: number, room: string | undefined): boolean {
    const { session } = this.#context
    const arrival = room === undefined ? session.arriveOnSession(seq) : session.arriveInRoom(room, seq)
    if (arrival === 'duplicate') return false
    if (arrival === 'gap')
      this.#context.gap(room === undefined ? { scope: 'session' } : { scope: 'room', room })
    if (room === undefined) this.#ackSoon()
    return true
  }

  #ackSoon(): void {
    this.#ackTimer ??= setTimeout(() => {
      this.#ackTimer = undefined
      void this.#sendMessage({ t: 'ack', seq: this.#context.session.delivered })
    }, ACK_DELAY_MS)
  }

  #ping(): void {
    void this.#sendMessage({ t: 'ping', n: this.#pings++ })
    this.#pongTimer ??= setTimeout(() => {
      this.#context.fail(
        CLIENT_CLOSE.PONG_TIMEOUT,
        new EncryptedSocketError(
          'ERR_PONG_TIMEOUT',
          __DEV__
            ? `Nothing from the server within ${this.#context.options.pongTimeout} ms of a ping (pongTimeout): the connection is dead; reconnecting.`
            : 'No pong in time.',
        ),
      )
    }, this.#context.options.pongTimeout)
  }

  #violation(reason: string): void {
    this.#context.fail(
      CLIENT_CLOSE.PROTOCOL_VIOLATION,
      new EncryptedSocketError('ERR_PROTOCOL', `The server broke protocol v2: ${reason}.`),
    )
  }
}

type Opening = { ok: true; plaintext: Uint8Array<ArrayBuffer> } | { ok: false; error: unknown }

const noop = (): void => undefined

/** A binary frame's bytes (an ArrayBuffer in browsers with binaryType 'arraybuffer', a Buffer in `ws`). */
function toBytes(data: unknown): Uint8Array<ArrayBuffer> | null {
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  if (ArrayBuffer.isView(data)) {
    const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    return view.buffer instanceof ArrayBuffer ? (view as Uint8Array<ArrayBuffer>) : new Uint8Array(view)
  }
  if (Array.isArray(data) && data.every((chunk) => ArrayBuffer.isView(chunk))) {
    const chunks = data as Uint8Array[]
    const joined = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0))
    let offset = 0
    for (const chunk of chunks) {
      joined.set(chunk, offset)
      offset += chunk.byteLength
    }
    return joined
  }
  return null
}
