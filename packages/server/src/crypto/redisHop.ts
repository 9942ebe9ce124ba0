import type { KeyObject } from 'node:crypto'
import { IV_LENGTH } from '@encrypted-socket/core'
import { openBytes, sealBytes } from './aesGcm'
import { deriveAesKey } from './sessionKey'

// What crosses Redis under a shared secret: base64(iv || ciphertext || tag), AES-256-GCM, with
// the channel's name as additional data (an envelope cannot be moved to another channel).

/**
 * The hop key: HKDF-SHA-256(ikm = secret, salt = 'encrypted-socket/redis', info = 'fanout/2').
 * The `/2` keeps envelopes of the earlier format (no sequence, no time, no channel binding) from
 * opening at all.
 */
export function hopKey(secret: string): KeyObject {
  return deriveAesKey(Buffer.from(secret, 'utf8'), Buffer.from('encrypted-socket/redis', 'utf8'), 'fanout/2')
}

export function sealHop(key: KeyObject, text: string, channel: string): string {
  const { iv, ct } = sealBytes(key, Buffer.from(text, 'utf8'), undefined, Buffer.from(channel, 'utf8'))
  return Buffer.concat([iv, ct]).toString('base64')
}

/** The text, or null when it was not sealed with this key for this channel. */
export function openHop(key: KeyObject, sealed: string, channel: string): string | null {
  const bytes = Buffer.from(sealed, 'base64')
  const plaintext = openBytes(
    key,
    bytes.subarray(0, IV_LENGTH),
    bytes.subarray(IV_LENGTH),
    Buffer.from(channel, 'utf8'),
  )
  return plaintext && plaintext.toString('utf8')
}

/**
 * The at-rest key for what sessions, idempotency keys and room histories keep in Redis:
 * HKDF-SHA-256(ikm = secret, salt = 'encrypted-socket/redis', info = 'store/1'). Another key than
 * the hop's, from the same secret: a stored copy never opens as an envelope, nor the reverse.
 */
export function storeKey(secret: string): KeyObject {
  return deriveAesKey(Buffer.from(secret, 'utf8'), Buffer.from('encrypted-socket/redis', 'utf8'), 'store/1')
}

/** base64(iv || ciphertext || tag) of `bytes`, with `aad` (where it is stored) authenticated. */
export function sealStored(key: KeyObject, bytes: Uint8Array, aad: string): string {
  const { iv, ct } = sealBytes(key, bytes, undefined, Buffer.from(aad, 'utf8'))
  return Buffer.concat([iv, ct]).toString('base64')
}

/** The bytes, or null when they were not sealed with this key for this place. */
export function openStored(key: KeyObject, sealed: string, aad: string): Buffer | null {
  const bytes = Buffer.from(sealed, 'base64')
  return openBytes(key, bytes.subarray(0, IV_LENGTH), bytes.subarray(IV_LENGTH), Buffer.from(aad, 'utf8'))
}
