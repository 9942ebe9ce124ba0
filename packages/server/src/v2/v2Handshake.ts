import { parseHello, readMessage, WELCOME_LIFETIME, type ResumeRequest } from '@encrypted-socket/core'
import type { DropCounts, ServerConnection } from '../connection'
import { deriveRecordKeys, transcriptHash } from '../crypto/recordKeys'
import { fromEphemeralKeys, type ServerKeyPair } from '../crypto/serverKeyPair'
import { isP256PublicKey } from '../crypto/sessionKey'
import { jsonDepthExceeds } from '../jsonDepth'
import { RecordChannel } from './recordChannel'
import { recordJsonTooDeep, viewOf } from './recordJson'
import { encodeServerWelcome } from './serverWelcome'

/** `{"t":"auth","token":…,"resume":{"rooms":{"<room>":{"epoch","seq"}}}}` nests four levels. */
const AUTH_DEPTH = 4
/** `{"event":"hello","data":{"clientPublicKey":…}}` nests two. */
const HELLO_DEPTH = 2

/** What a frame before `ready` came to. */
export type HandshakeStep =
  | { type: 'continue' }
  | { type: 'auth'; channel: RecordChannel; token: string; resume: ResumeRequest | undefined }
  | { type: 'violation'; reason: string; dropped: keyof DropCounts }

/**
 * The v2 handshake up to a valid record #0 (PROTOCOL-v2.md §2): the welcome as soon as the socket
 * is open, exactly one `hello` text frame (the client's key, checked first), then binary record
 * c2s #0 holding the `auth`. The record keys come from the welcome's exact text as sent.
 */
export class V2Handshake {
  readonly #connection: ServerConnection
  #state: 'welcoming' | 'awaiting-hello' | 'awaiting-auth' | 'done' = 'welcoming'
  #welcome: { text: string; keys: ServerKeyPair; salt: Uint8Array } | null = null
  #channel: RecordChannel | null = null

  constructor(connection: ServerConnection) {
    this.#connection = connection
  }

  /** Whether no valid record #0 arrived yet. */
  get pending(): boolean {
    return this.#state !== 'done'
  }

  /** Sends the welcome under a key pair of this connection's only (pooled, or `createKeys`). */
  start(): void {
    const connection = this.#connection
    const { options } = connection
    const send = (keys: ServerKeyPair) => {
      if (this.#state !== 'welcoming') return
      const salt = options.createSalt()
      const validUntil = Math.floor(options.now()) + WELCOME_LIFETIME
      const text = encodeServerWelcome(keys, salt, validUntil, options.identity)
      this.#welcome = { text, keys, salt }
      this.#state = 'awaiting-hello'
      connection.transmit(text)
    }
    if (!options.createKeys) return send(connection.host.keyPool.take())
    options.createKeys().then(
      (keys) => send(fromEphemeralKeys(keys)),
      (error: unknown) => {
        options.logger.error('key generation failed', { connection: connection.id, error: String(error) })
        connection.close(1011, 'Key generation failed')
      },
    )
  }

  /** One frame before record #0 was accepted. */
  receive(data: Buffer, isBinary: boolean): HandshakeStep {
    this.#connection.showFrame('in', isBinary ? data : data.toString('utf8'))
    switch (this.#state) {
      case 'awaiting-hello':
        return isBinary ? violation('A binary frame before the hello') : this.#hello(data.toString('utf8'))
      case 'awaiting-auth':
        return isBinary ? this.#auth(data) : violation('A text frame after the hello')
      default:
        return violation(
          this.#state === 'welcoming' ? 'A frame before the welcome' : 'A frame before ready',
          'unauthenticated',
        )
    }
  }

  #hello(text: string): HandshakeStep {
    const clientPublicKey = jsonDepthExceeds(text, HELLO_DEPTH) ? null : parseHello(text)
    if (!clientPublicKey || !isP256PublicKey(clientPublicKey)) return violation('Invalid hello or client key')
    const { text: welcome, keys, salt } = this.#welcome!
    const { options } = this.#connection
    try {
      const th = transcriptHash(welcome, clientPublicKey)
      const recordKeys = deriveRecordKeys(keys.sharedSecret(clientPublicKey), salt, th, options.ecdhInfo)
      this.#channel = new RecordChannel(recordKeys, options.initialRecordCounter)
    } catch {
      return violation('Key derivation failed')
    }
    this.#welcome = null // the ephemeral private key is not needed any more
    this.#state = 'awaiting-auth'
    return { type: 'continue' }
  }

  #auth(record: Buffer): HandshakeStep {
    const channel = this.#channel!
    const plaintext = channel.open(record)
    if (!plaintext) return violation('Record #0 did not open', 'undecryptable')
    // Shallow, small JSON before JSON.parse sees it: a stranger's record #0 is cheap to refuse.
    if (recordJsonTooDeep(plaintext, AUTH_DEPTH)) return violation('Record #0 nests too deep')
    const read = readMessage(viewOf(plaintext), 'client')
    if (read.type !== 'message' || read.message.t !== 'auth') return violation('Record #0 is not an auth')
    this.#state = 'done'
    return { type: 'auth', channel, token: read.message.token, resume: read.message.resume }
  }
}

function violation(reason: string, dropped: keyof DropCounts = 'malformed'): HandshakeStep {
  return { type: 'violation', reason, dropped }
}
