// Pinning the server: a long-term identity key (or its fingerprint) that every handshake must be signed with.
import { decodeBase64 } from '../crypto/base64'
import { PUBLIC_KEY_LENGTH } from '../crypto/ecdh'
import { fingerprintKey, handshakeTranscript, verifyTranscript } from '../crypto/ecdsa'
import { welcomeSignedBytes } from '../protocol/v2/welcome'
import { EncryptedSocketError, serverAuthError } from '../errors'

/**
 * What the client hands a `serverIdentity` check: the server's proof and this handshake's keys.
 * The signature covers v1's `connected` transcript, or v2's welcome bytes (with `validUntil`).
 */
export interface SignedHandshake {
  protocol: 'v1' | 'v2'
  identityKey: Uint8Array<ArrayBuffer> | undefined
  signature: Uint8Array<ArrayBuffer> | undefined
  clientPublicKey: Uint8Array<ArrayBuffer>
  serverPublicKey: Uint8Array<ArrayBuffer>
  salt: Uint8Array<ArrayBuffer>
  /** v2: the welcome's `validUntil` (ms since the epoch), part of what is signed. */
  validUntil?: number
}

/**
 * Server authentication, the `serverIdentity` option: resolves when the handshake is signed by the
 * pinned identity, rejects with `ERR_SERVER_AUTH` otherwise. Made by `pinServerKey()` or
 * `pinServerFingerprint()`; a separate import, so apps that do not pin pay nothing for it.
 */
export type ServerIdentity = (handshake: SignedHandshake) => Promise<void>

/** Pins the server's identity key: the base64 raw P-256 public key that `--generate-identity` prints. */
export function pinServerKey(serverKey: string): ServerIdentity {
  const pinned = typeof serverKey === 'string' ? decodeBase64(serverKey) : undefined
  if (pinned?.length !== PUBLIC_KEY_LENGTH || pinned[0] !== 4) {
    throw pinError('pinServerKey() needs the base64 raw P-256 public key of the server identity (65 bytes)')
  }
  return (handshake) => verifySigned(pinned, handshake)
}

/** Pins the SHA-256 fingerprint (hex, colons allowed) of the identity key the server presents. */
export function pinServerFingerprint(fingerprint: string): ServerIdentity {
  const pinned = typeof fingerprint === 'string' ? fingerprint.toLowerCase().replace(/:/g, '') : ''
  if (!/^[0-9a-f]{64}$/.test(pinned)) {
    throw pinError('pinServerFingerprint() needs the hex SHA-256 fingerprint of the server identity key')
  }
  return async (handshake) => {
    const presented = handshake.identityKey
    if (presented && (await fingerprintKey(presented)) !== pinned) {
      throw serverAuthError('the server presented an identity key with another fingerprint')
    }
    return verifySigned(presented, handshake)
  }
}

async function verifySigned(
  identityKey: Uint8Array<ArrayBuffer> | undefined,
  { signature, protocol, clientPublicKey, serverPublicKey, salt, validUntil }: SignedHandshake,
): Promise<void> {
  if (!identityKey || !signature) {
    throw serverAuthError(`the ${protocol === 'v2' ? 'welcome' : 'connected frame'} is not signed`)
  }
  // Built here, not by the handshake: apps that do not pin bundle none of it.
  const transcript =
    protocol === 'v2'
      ? welcomeSignedBytes(serverPublicKey, salt, validUntil ?? 0)
      : handshakeTranscript(clientPublicKey, serverPublicKey, salt)
  await verifyTranscript(identityKey, signature, transcript)
}

function pinError(message: string): EncryptedSocketError {
  return new EncryptedSocketError('ERR_INVALID_OPTION', `${message}; check the value the server printed.`)
}
