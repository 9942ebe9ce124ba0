import { createSecretKey, ECDH, hkdfSync, type KeyObject } from 'node:crypto'
import { PUBLIC_KEY_LENGTH } from '@encrypted-socket/core'
import type { ServerKeyPair } from './serverKeyPair'

const AES_KEY_LENGTH = 32

/** Whether `raw` is an uncompressed P-256 point that lies on the curve (what protocol v1 accepts). */
export function isP256PublicKey(raw: Uint8Array): boolean {
  if (raw.length !== PUBLIC_KEY_LENGTH || raw[0] !== 0x04) return false
  try {
    ECDH.convertKey(raw, 'prime256v1') // OpenSSL refuses coordinates off the curve
    return true
  } catch {
    return false
  }
}

/** `HKDF-SHA-256(ikm = sharedSecret, salt, info, 32 bytes)` as an AES-256 key (a string info is UTF-8). */
export function deriveAesKey(
  sharedSecret: Uint8Array,
  salt: Uint8Array,
  info: string | Uint8Array,
): KeyObject {
  const infoBytes = typeof info === 'string' ? Buffer.from(info, 'utf8') : info
  return createSecretKey(new Uint8Array(hkdfSync('sha256', sharedSecret, salt, infoBytes, AES_KEY_LENGTH)))
}

/** The session key of one handshake: ECDH with the client's point, then HKDF. Throws when it fails. */
export function deriveSessionKey(
  keys: ServerKeyPair,
  clientPublicKey: Uint8Array,
  salt: Uint8Array,
  ecdhInfo: string,
): KeyObject {
  return deriveAesKey(keys.sharedSecret(clientPublicKey), salt, ecdhInfo)
}
