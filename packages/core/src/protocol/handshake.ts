import { deriveSharedSecret, exportPublicKey, generateKeyPair, importPeerPublicKey } from '../crypto/ecdh'
import { deriveAesKey } from '../crypto/hkdf'

/** One side's ephemeral half of a handshake: made fresh for every connection. */
export interface EphemeralKeys {
  privateKey: CryptoKey
  /** The raw public point to send to the peer (65 bytes). */
  publicKey: Uint8Array<ArrayBuffer>
}

/** A fresh ephemeral key pair and its raw public point. */
export async function createEphemeralKeys(): Promise<EphemeralKeys> {
  const pair = await generateKeyPair()
  return { privateKey: pair.privateKey, publicKey: await exportPublicKey(pair.publicKey) }
}

/**
 * The session key both ends compute: ECDH with the peer's raw public point, then HKDF-SHA-256
 * with the salt from `connected` and `ecdhInfo`. Fails with `ERR_INVALID_PUBLIC_KEY` on a bad
 * peer key.
 */
export async function deriveSessionKey(
  ownPrivateKey: CryptoKey,
  peerPublicKey: Uint8Array<ArrayBuffer>,
  salt: Uint8Array<ArrayBuffer>,
  ecdhInfo: string,
): Promise<CryptoKey> {
  const peer = await importPeerPublicKey(peerPublicKey)
  // ECDH straight into an HKDF key saves a call (and, in Node, a thread-pool hop) over deriveBits +
  // importKey. Engines that refuse HKDF as a derived key type, and private keys without the
  // `deriveKey` usage, take the two-step path.
  const ikm = await crypto.subtle
    .deriveKey({ name: 'ECDH', public: peer }, ownPrivateKey, 'HKDF', false, ['deriveKey'])
    .catch(async () => deriveSharedSecret(ownPrivateKey, peer))
  return deriveAesKey(ikm, salt, ecdhInfo)
}
