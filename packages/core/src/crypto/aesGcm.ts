import { EncryptedSocketError } from '../errors'

/** AES-GCM IV length in bytes. The protocol allows exactly this, nothing else. */
export const IV_LENGTH = 12
/** AES-GCM authentication tag length in bytes, appended to the ciphertext. */
export const TAG_LENGTH = 16

/** A fresh random 12-byte IV. Never reuse one under the same key. */
export function randomIv(): Uint8Array<ArrayBuffer> {
  return crypto.getRandomValues(new Uint8Array(IV_LENGTH))
}

/** AES-256-GCM encryption without additional data; returns `ciphertext || tag`. */
export async function encryptBytes(
  key: CryptoKey,
  iv: Uint8Array<ArrayBuffer>,
  plaintext: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, plaintext))
}

/**
 * AES-256-GCM decryption of `ciphertext || tag`. Fails with `ERR_DECRYPT` when the IV is not
 * 12 bytes or the tag does not verify (tampered, truncated, or another key).
 */
export async function decryptBytes(
  key: CryptoKey,
  iv: Uint8Array<ArrayBuffer>,
  ciphertext: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  if (iv.length !== IV_LENGTH || ciphertext.length < TAG_LENGTH) {
    throw new EncryptedSocketError(
      'ERR_DECRYPT',
      __DEV__
        ? `Dropped a frame: the IV must be ${IV_LENGTH} bytes, the ciphertext at least ${TAG_LENGTH}.`
        : 'Dropped a frame: bad length.',
    )
  }
  try {
    return new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv }, key, ciphertext))
  } catch (cause) {
    throw new EncryptedSocketError(
      'ERR_DECRYPT',
      __DEV__
        ? 'Dropped a frame that failed authentication (tampered, or another key).'
        : 'Dropped a frame: authentication failed.',
      { cause },
    )
  }
}
