import { encodeWelcome, welcomeSignedBytes } from '@encrypted-socket/core'
import type { HandshakeSigner } from '../crypto/handshakeSigner'
import type { ServerKeyPair } from '../crypto/serverKeyPair'

/**
 * The welcome's exact text (it enters the transcript hash): the connection's ephemeral key, its
 * salt, how long the offer holds, and, with an identity, the signature over
 * `"encrypted-socket/v2 welcome\n" ‖ serverPublicKey ‖ salt ‖ uint64(validUntil)`.
 */
export function encodeServerWelcome(
  keys: ServerKeyPair,
  salt: Uint8Array<ArrayBuffer>,
  validUntil: number,
  identity: HandshakeSigner | null,
): string {
  const proof = identity && {
    identityKey: identity.publicKey,
    signature: identity.sign(welcomeSignedBytes(keys.publicKey, salt, validUntil)),
  }
  return encodeWelcome({ serverPublicKey: keys.publicKey, salt, validUntil, ...proof })
}
