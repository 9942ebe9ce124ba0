import type { KeyObject } from 'node:crypto'
import { IV_LENGTH } from '@encrypted-socket/core'
import { openBytes, sealBytes } from './aesGcm'
import { deriveAesKey } from './sessionKey'

// What crosses Redis under a shared secret: base64(iv || ciphertext || tag), AES-256-GCM.

/** The hop key: HKDF-SHA-256(ikm = secret, salt = 'encrypted-socket/redis', info = 'fanout'). */
export function hopKey(secret: string): KeyObject {
  return deriveAesKey(Buffer.from(secret, 'utf8'), Buffer.from('encrypted-socket/redis', 'utf8'), 'fanout')
}

export function sealHop(key: KeyObject, text: string): string {
  const { iv, ct } = sealBytes(key, Buffer.from(text, 'utf8'))
  return Buffer.concat([iv, ct]).toString('base64')
}

/** The text, or null when it was not sealed with this key. */
export function openHop(key: KeyObject, sealed: string): string | null {
  const bytes = Buffer.from(sealed, 'base64')
  const plaintext = openBytes(key, bytes.subarray(0, IV_LENGTH), bytes.subarray(IV_LENGTH))
  return plaintext && plaintext.toString('utf8')
}
