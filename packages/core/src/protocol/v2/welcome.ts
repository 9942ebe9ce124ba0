// The v2 handshake's two text frames: the server's `welcome` (its ephemeral key, the salt, how
// long the offer holds, and optionally its signature) and the client's `hello` (its key).
import { decodeBase64, encodeBase64 } from '../../crypto/base64'
import { PUBLIC_KEY_LENGTH } from '../../crypto/ecdh'

export const SALT_LENGTH = 32
export const SIGNATURE_LENGTH = 64
/** How long a welcome stays valid after the server made it (ms). */
export const WELCOME_LIFETIME = 2 * 60_000

export interface Welcome {
  serverPublicKey: Uint8Array<ArrayBuffer>
  salt: Uint8Array<ArrayBuffer>
  /** ms since the epoch. */
  validUntil: number
  identityKey?: Uint8Array<ArrayBuffer>
  signature?: Uint8Array<ArrayBuffer>
}

const encoder = /* @__PURE__ */ new TextEncoder()
const SIGNED_CONTEXT = /* @__PURE__ */ encoder.encode('encrypted-socket/v2 welcome\n')

/** The welcome's exact text: it enters the transcript hash, so the field order is fixed here. */
export function encodeWelcome(welcome: Welcome): string {
  const data: Record<string, unknown> = {
    v: 2,
    serverPublicKey: encodeBase64(welcome.serverPublicKey),
    salt: encodeBase64(welcome.salt),
    validUntil: welcome.validUntil,
  }
  if (welcome.identityKey && welcome.signature) {
    data['identityKey'] = encodeBase64(welcome.identityKey)
    data['signature'] = encodeBase64(welcome.signature)
  }
  return JSON.stringify({ event: 'welcome', data })
}

/** What the server's identity signs: context ‖ serverPublicKey ‖ salt ‖ uint64(validUntil). */
export function welcomeSignedBytes(
  serverPublicKey: Uint8Array,
  salt: Uint8Array,
  validUntil: number,
): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(SIGNED_CONTEXT.length + serverPublicKey.length + salt.length + 8)
  bytes.set(SIGNED_CONTEXT)
  bytes.set(serverPublicKey, SIGNED_CONTEXT.length)
  bytes.set(salt, SIGNED_CONTEXT.length + serverPublicKey.length)
  new DataView(bytes.buffer).setBigUint64(bytes.length - 8, BigInt(validUntil))
  return bytes
}

/**
 * The welcome in a text frame, or why it is not one. The shape is checked here (lengths, the
 * integer `validUntil`); the point's place on the curve is checked when the key is imported.
 */
export function parseWelcome(text: string): Welcome | { error: string } {
  let frame: unknown
  try {
    frame = JSON.parse(text)
  } catch {
    return { error: 'not JSON' }
  }
  if (!isObject(frame) || frame['event'] !== 'welcome' || !isObject(frame['data'])) {
    return { error: 'not a welcome frame' }
  }
  const data = frame['data']
  if (data['v'] !== 2) return { error: 'v is not 2' }
  const serverPublicKey = bytesField(data['serverPublicKey'])
  if (serverPublicKey?.length !== PUBLIC_KEY_LENGTH || serverPublicKey[0] !== 4) {
    return { error: 'serverPublicKey is not a 65-byte uncompressed point' }
  }
  const salt = bytesField(data['salt'])
  if (salt?.length !== SALT_LENGTH) return { error: `salt is not ${SALT_LENGTH} bytes` }
  const validUntil = data['validUntil']
  // An integer written as digits only: `1.7e12` or `1700000000000.0` would parse to the same number.
  const written = /"validUntil"\s*:\s*(-?[0-9][0-9.eE+-]*)/.exec(text)?.[1]
  if (!Number.isSafeInteger(validUntil) || (validUntil as number) < 0 || !/^[0-9]+$/.test(written ?? '')) {
    return { error: 'validUntil is not an integer of ms' }
  }
  const welcome: Welcome = { serverPublicKey, salt, validUntil: validUntil as number }
  if (data['identityKey'] !== undefined || data['signature'] !== undefined) {
    const identityKey = bytesField(data['identityKey'])
    const signature = bytesField(data['signature'])
    if (identityKey?.length !== PUBLIC_KEY_LENGTH || signature?.length !== SIGNATURE_LENGTH) {
      return { error: 'identityKey or signature has the wrong length' }
    }
    welcome.identityKey = identityKey
    welcome.signature = signature
  }
  return welcome
}

export function encodeHello(clientPublicKey: Uint8Array): string {
  return JSON.stringify({ event: 'hello', data: { clientPublicKey: encodeBase64(clientPublicKey) } })
}

/** The client's raw public key from a `hello` text frame, or null when it is not one. */
export function parseHello(text: string): Uint8Array<ArrayBuffer> | null {
  let frame: unknown
  try {
    frame = JSON.parse(text)
  } catch {
    return null
  }
  if (!isObject(frame) || frame['event'] !== 'hello' || !isObject(frame['data'])) return null
  const key = bytesField(frame['data']['clientPublicKey'])
  return key?.length === PUBLIC_KEY_LENGTH && key[0] === 4 ? key : null
}

function bytesField(value: unknown): Uint8Array<ArrayBuffer> | undefined {
  return typeof value === 'string' ? decodeBase64(value) : undefined
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
