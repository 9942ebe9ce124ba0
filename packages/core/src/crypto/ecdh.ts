import { EncryptedSocketError } from '../errors'

/** The length of an uncompressed P-256 point: `0x04 || x || y`. */
export const PUBLIC_KEY_LENGTH = 65
const ECDH_P256 = { name: 'ECDH', namedCurve: 'P-256' } as const

/**
 * A fresh ephemeral ECDH P-256 key pair. The private key is not extractable; make one per
 * connection and never reuse it (that is the forward secrecy).
 */
export function generateKeyPair(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(ECDH_P256, false, ['deriveBits'])
}

/** The raw uncompressed public point (65 bytes, first byte `0x04`). */
export async function exportPublicKey(publicKey: CryptoKey): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.exportKey('raw', publicKey))
}

/**
 * Imports a peer's raw public key after checking that it is 65 bytes, starts with `0x04` and lies
 * on the curve. Fails with `ERR_INVALID_PUBLIC_KEY`.
 */
export async function importPeerPublicKey(raw: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  if (raw.length !== PUBLIC_KEY_LENGTH || raw[0] !== 0x04) {
    throw new EncryptedSocketError(
      'ERR_INVALID_PUBLIC_KEY',
      __DEV__
        ? `The peer's public key is not a 65-byte uncompressed P-256 point (got ${raw.length} bytes).`
        : 'Invalid P-256 public key.',
    )
  }
  try {
    return await crypto.subtle.importKey('raw', raw, ECDH_P256, true, [])
  } catch (cause) {
    throw new EncryptedSocketError(
      'ERR_INVALID_PUBLIC_KEY',
      __DEV__
        ? "The peer's public key is not on the P-256 curve (a corrupted or forged handshake?)."
        : 'Invalid P-256 public key.',
      { cause },
    )
  }
}

/** ECDH: the 32-byte shared secret of our private key and the peer's public key. */
export async function deriveSharedSecret(
  privateKey: CryptoKey,
  peerPublicKey: CryptoKey,
): Promise<ArrayBuffer> {
  return crypto.subtle.deriveBits({ name: 'ECDH', public: peerPublicKey }, privateKey, 256)
}
