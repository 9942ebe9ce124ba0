// Protocol v1 on an open socket: `authenticate` in clear, `connected`, then `encrypted` frames
// under one key with random IVs, plaintext `join`/`leave` and heartbeats.
import { EncryptedSocketError, keyMismatch } from '../errors'
import {
  encodeRooms,
  HEARTBEAT_FRAME,
  parseServerFrame,
  type ConnectedFrame,
  type ServerFrame,
} from '../protocol/codec'
import { CLIENT_CLOSE } from './reconnect'
import type { OutgoingMessage, Protocol, ProtocolContext } from './session'
import { V1Handshake } from './v1Handshake'
import type { EncryptedFrame, Opened, V1Session } from './v1Session'

export class V1Protocol implements Protocol {
  readonly version = 'v1'
  readonly #context: ProtocolContext
  readonly #handshake: V1Handshake
  #phase: 'authenticating' | 'authenticated' = 'authenticating'
  #session: V1Session | null = null
  /** Frames are handled one at a time, in arrival order: each waits for this chain. */
  #frames = Promise.resolve()
  #heartbeatTimer: ReturnType<typeof setInterval> | undefined

  /** Starts the handshake: the token and the key pair, then `authenticate`. */
  constructor(context: ProtocolContext) {
    this.#context = context
    this.#handshake = new V1Handshake(context.options, context.keys)
    void this.#sendHello()
  }

  get encrypted(): boolean {
    return this.#session !== null
  }

  async #sendHello(): Promise<void> {
    const token = await this.#context.token()
    if (token === undefined) return
    let hello: string
    try {
      hello = await this.#handshake.hello(token)
    } catch (cause) {
      return this.#context.fail(
        CLIENT_CLOSE.PROTOCOL_VIOLATION,
        new EncryptedSocketError('ERR_PROTOCOL', 'Could not make the key pair.', { cause }),
      )
    }
    this.#context.write(hello)
  }

  receive(data: unknown): void {
    const frame = parseServerFrame(data)
    // Decryption starts on arrival, so a burst decrypts in parallel; delivery stays in order.
    const opening = frame.type === 'encrypted' ? this.#session?.open(frame) : undefined
    this.#frames = this.#frames
      .then(() => (this.#context.disposed ? undefined : this.#handleFrame(frame, opening)))
      .catch((error: unknown) => this.#context.logError('[encrypted-socket] a frame handler failed', error))
  }

  async send(messages: readonly OutgoingMessage[]): Promise<number> {
    const session = this.#session
    if (!session) return 0
    const frames = await session.seal(messages.map(v1Plaintext))
    let written = 0
    for (const frame of frames) {
      if (!this.#context.write(frame)) break
      written++
    }
    if (session.full) this.#context.rekey()
    return written
  }

  changeRooms(type: 'join' | 'leave', rooms: readonly string[]): void {
    this.#context.write(encodeRooms(type, rooms))
  }

  probe(): void {
    // v1 has no pong: a heartbeat cannot tell whether the connection is alive.
  }

  explainClose(): undefined {
    return undefined
  }

  settled(): Promise<void> {
    return this.#frames
  }

  dispose(): void {
    this.#session = null
    clearInterval(this.#heartbeatTimer)
  }

  async #handleFrame(frame: ServerFrame, opening: { finish(): Promise<Opened> } | undefined): Promise<void> {
    const context = this.#context
    switch (frame.type) {
      case 'encrypted':
        return this.#handleEncrypted(frame, opening)
      case 'connected':
        return this.#handleConnected(frame)
      case 'plaintext':
        if (this.#session || context.options.requireEncryption) {
          return context.report(
            new EncryptedSocketError(
              'ERR_PLAINTEXT_REJECTED',
              `Dropped plaintext "${context.scrub(frame.event)}": events must arrive encrypted.`,
            ),
          )
        }
        return context.event(frame.event, frame.data)
      case 'malformed':
        if (frame.event === 'connected' && this.#phase === 'authenticating') {
          return context.fail(
            CLIENT_CLOSE.PROTOCOL_VIOLATION,
            new EncryptedSocketError('ERR_PROTOCOL', `Bad connected frame: ${frame.reason}.`),
          )
        }
        return context.report(
          new EncryptedSocketError('ERR_MALFORMED_FRAME', `Dropped a frame: ${frame.reason}.`),
        )
      case 'error':
        return this.#handleError(frame.code, frame.message, frame.room)
      case 'heartbeat':
        return
    }
  }

  #handleError(code: unknown, message: string, room: string | undefined): void {
    const context = this.#context
    if (code === 'JOIN_DENIED' && room !== undefined && this.#phase === 'authenticated') {
      // v1 has no encrypted refusal. A forged one can only make a room look refused (and not
      // re-joined): it delivers nothing, and whoever can forge frames can also drop them.
      const denial = { code: 'JOIN_DENIED', message: context.scrub(message) }
      context.roomDenied(room, denial)
      return context.report(
        new EncryptedSocketError(
          'ERR_ROOM_DENIED',
          `The server refused room "${context.scrub(room)}": ${denial.message}`,
        ),
      )
    }
    if (code === 'UNDECRYPTABLE' && !this.#session?.confirmed) {
      // The server could not open what we sent. Anyone could have written this frame in v1, so it
      // counts only before anything decrypted under the key (then the keys cannot differ).
      return context.giveUp(CLIENT_CLOSE.NORMAL, keyMismatch('the server could not decrypt our first frame'))
    }
    // Once the key exists the server's word is encrypted; a plaintext error may be anyone's.
    if (this.#session) {
      return context.report(
        new EncryptedSocketError(
          'ERR_UNAUTHENTICATED_FRAME',
          'Dropped a plaintext error frame: once encrypted, only encrypted frames are the server’s.',
        ),
      )
    }
    const suffix = code === undefined ? '' : ` (${context.scrub(String(code))})`
    context.report(new EncryptedSocketError('ERR_SERVER', `Server error${suffix}: ${context.scrub(message)}`))
  }

  async #handleConnected(frame: ConnectedFrame): Promise<void> {
    const context = this.#context
    // Frames are handled one at a time, so once a `connected` was handled the phase has moved on.
    if (this.#phase !== 'authenticating') {
      return context.report(new EncryptedSocketError('ERR_PROTOCOL', 'Dropped a second connected frame.'))
    }
    const result = await this.#handshake.finish(frame)
    if (context.disposed) return
    if (!result.ok) return context.fail(result.closeCode, result.error)
    this.#session = result.session
    this.#phase = 'authenticated'
    context.authenticated({ clientId: frame.id, userId: frame.userId })
    // A listener may have called disconnect() or destroy() meanwhile.
    const interval = context.options.heartbeatInterval
    if (context.disposed || interval <= 0) return
    this.#heartbeatTimer = setInterval(() => context.write(HEARTBEAT_FRAME), interval)
  }

  async #handleEncrypted(
    frame: EncryptedFrame,
    opening: { finish(): Promise<Opened> } | undefined,
  ): Promise<void> {
    const context = this.#context
    const session = this.#session
    if (!session) {
      return context.report(
        new EncryptedSocketError('ERR_PROTOCOL', 'Dropped an encrypted frame before the key.'),
      )
    }
    const opened = await (opening ?? session.open(frame)).finish()
    if (context.disposed) return
    if (opened.type === 'dropped') {
      context.report(opened.error)
      if (opened.keyRejected) {
        context.fail(
          CLIENT_CLOSE.KEY_NOT_CONFIRMED,
          new EncryptedSocketError('ERR_DECRYPT', 'The session key is wrong; reconnecting with fresh keys.'),
        )
      }
      return
    }
    context.event(opened.message.event, opened.message.data)
    if (session.full) context.rekey()
  }
}

/** `{"event":…,"data":…}`, as `serializeMessage` writes it, from data serialised already. */
function v1Plaintext({ event, dataJson }: OutgoingMessage): Uint8Array<ArrayBuffer> {
  const data = dataJson === undefined ? '' : `,"data":${dataJson}`
  return encoder.encode(`{"event":${JSON.stringify(event)}${data}}`)
}

const encoder = /* @__PURE__ */ new TextEncoder()
