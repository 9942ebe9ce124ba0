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
  return deriveAesKey(await deriveSharedSecret(ownPrivateKey, peer), salt, ecdhInfo)
}
