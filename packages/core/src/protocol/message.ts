import { decryptBytes, encryptBytes, randomIv } from '../crypto/aesGcm'
import { EncryptedSocketError } from '../errors'
import {
  encodeEncrypted,
  parseApplicationMessage,
  type ApplicationMessage,
  type MalformedFrame,
} from './codec'

const encoder = /* @__PURE__ */ new TextEncoder()
const decoder = /* @__PURE__ */ new TextDecoder('utf-8', { fatal: true })

/** An application message sealed for the wire, with its IV (the sender remembers it). */
export interface SealedMessage {
  frame: string
  iv: Uint8Array<ArrayBuffer>
}

/**
 * The UTF-8 JSON plaintext of `{event, data}`. Fails with `ERR_INVALID_PAYLOAD` when `data` is
 * not serialisable. Serialising at send time also freezes what is sent: a later change to the
 * object does not change a queued message.
 */
export function serializeMessage(message: ApplicationMessage): Uint8Array<ArrayBuffer> {
  try {
    return encoder.encode(JSON.stringify({ event: message.event, data: message.data }))
  } catch (cause) {
    throw new EncryptedSocketError(
      'ERR_INVALID_PAYLOAD',
      `The data of "${message.event}" is not JSON (a BigInt, a cycle?).`,
      { cause },
    )
  }
}

/** Encrypts a serialised message under the session key with a fresh random IV. */
export async function sealPlaintext(
  key: CryptoKey,
  plaintext: Uint8Array<ArrayBuffer>,
  iv: Uint8Array<ArrayBuffer> = randomIv(),
): Promise<SealedMessage> {
  const ct = await encryptBytes(key, iv, plaintext)
  return { frame: encodeEncrypted(iv, ct), iv }
}

/**
 * Encrypts `{event, data}` under the session key with a fresh random IV and returns the
 * `encrypted` frame's text. Fails with `ERR_INVALID_PAYLOAD` when `data` is not serialisable.
 */
export function sealMessage(
  key: CryptoKey,
  message: ApplicationMessage,
  iv?: Uint8Array<ArrayBuffer>,
): Promise<SealedMessage> {
  try {
    return sealPlaintext(key, serializeMessage(message), iv)
  } catch (error) {
    return Promise.reject(error)
  }
}

/**
 * Decrypts and validates the contents of an `encrypted` frame. Fails with `ERR_DECRYPT` when
 * authentication fails and with `ERR_MALFORMED_FRAME` when the plaintext is not a valid message.
 */
export async function openMessage(
  key: CryptoKey,
  iv: Uint8Array<ArrayBuffer>,
  ct: Uint8Array<ArrayBuffer>,
): Promise<ApplicationMessage> {
  const message = decodeApplicationMessage(await decryptBytes(key, iv, ct))
  if ('type' in message) {
    throw new EncryptedSocketError('ERR_MALFORMED_FRAME', `Dropped a decrypted frame: ${message.reason}.`)
  }
  return message
}

/**
 * The application message in decrypted bytes (strict UTF-8, then `{event, data}`), or why they
 * hold none. The client and the server both read messages through this.
 */
export function decodeApplicationMessage(plaintext: Uint8Array): ApplicationMessage | MalformedFrame {
  let json: string
  try {
    json = decoder.decode(plaintext)
  } catch {
    return { type: 'malformed', reason: 'not UTF-8' }
  }
  return parseApplicationMessage(json)
}
