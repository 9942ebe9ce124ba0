import { createCipheriv, createDecipheriv, type KeyObject } from 'node:crypto'
import { IV_LENGTH, TAG_LENGTH } from '@encrypted-socket/core'
import { randomIv } from './randomIv'

const ALGORITHM = 'aes-256-gcm'

/** AES-256-GCM, synchronous: the IV and `ciphertext || tag`; `aad` is authenticated, not sent. */
export function sealBytes(
  key: KeyObject,
  plaintext: Uint8Array,
  iv: Buffer = randomIv(),
  aad?: Uint8Array,
): { iv: Buffer; ct: Buffer } {
  const cipher = createCipheriv(ALGORITHM, key, iv) // GCM's default tag: 16 bytes
  if (aad) cipher.setAAD(aad)
  const body = cipher.update(plaintext)
  cipher.final() // GCM is a stream mode: this only computes the tag
  return { iv, ct: Buffer.concat([body, cipher.getAuthTag()]) }
}

/**
 * Opens `ciphertext || tag`: the plaintext, or null when the IV is not 12 bytes, the tag is
 * missing, or it does not verify (tampered, truncated, another key, other additional data).
 */
export function openBytes(key: KeyObject, iv: Uint8Array, ct: Uint8Array, aad?: Uint8Array): Buffer | null {
  if (iv.length !== IV_LENGTH || ct.length < TAG_LENGTH) return null
  const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_LENGTH })
  if (aad) decipher.setAAD(aad)
  decipher.setAuthTag(ct.subarray(ct.length - TAG_LENGTH))
  const body = decipher.update(ct.subarray(0, ct.length - TAG_LENGTH))
  try {
    decipher.final() // GCM is a stream mode: nothing is held back, this only checks the tag
  } catch {
    return null
  }
  return body
}
