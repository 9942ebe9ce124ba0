import { serverAuthError } from '../errors'
import { PUBLIC_KEY_LENGTH } from './ecdh'

// Server authentication (opt-in, v1-compatible): the server signs each handshake with a long-term
// ECDSA P-256 key; a client that knows that key (or its fingerprint) refuses any other.

const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const
const SIGNATURE = { name: 'ECDSA', hash: 'SHA-256' } as const
const CONTEXT = /* @__PURE__ */ new TextEncoder().encode('encrypted-socket/v1 connected\n')

/**
 * What the server signs: a context string, the client's ephemeral public key, the server's
 * ephemeral public key and the salt. It binds this handshake's keys to the server's identity.
 */
export function handshakeTranscript(
  clientPublicKey: Uint8Array,
  serverPublicKey: Uint8Array,
  salt: Uint8Array,
): Uint8Array<ArrayBuffer> {
  const transcript = new Uint8Array(
    CONTEXT.length + clientPublicKey.length + serverPublicKey.length + salt.length,
  )
  let offset = 0
  for (const part of [CONTEXT, clientPublicKey, serverPublicKey, salt]) {
    transcript.set(part, offset)
    offset += part.length
  }
  return transcript
}

/** A long-term signing identity for a server: keep the private key secret, publish the public one. */
export async function generateServerIdentity(): Promise<{
  privateKey: CryptoKey
  publicKey: Uint8Array<ArrayBuffer>
}> {
  const pair = await crypto.subtle.generateKey(ECDSA_P256, true, ['sign', 'verify'])
  return {
    privateKey: pair.privateKey,
    publicKey: new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey)),
  }
}

/** Signs a transcript (64-byte IEEE P1363 signature). */
export async function signTranscript(
  privateKey: CryptoKey,
  transcript: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.sign(SIGNATURE, privateKey, transcript))
}

/** Verifies the server's signature with its raw P-256 identity key. Fails with `ERR_SERVER_AUTH`. */
export async function verifyTranscript(
  identityKey: Uint8Array<ArrayBuffer>,
  signature: Uint8Array<ArrayBuffer>,
  transcript: Uint8Array<ArrayBuffer>,
): Promise<void> {
  let key: CryptoKey
  try {
    if (identityKey.length !== PUBLIC_KEY_LENGTH) throw new Error('length')
    key = await crypto.subtle.importKey('raw', identityKey, ECDSA_P256, false, ['verify'])
  } catch (cause) {
    throw serverAuthError('the server identity key is not a P-256 public key', cause)
  }
  if (!(await crypto.subtle.verify(SIGNATURE, key, signature, transcript))) {
    throw serverAuthError('the handshake signature does not verify')
  }
}

/** The SHA-256 fingerprint of a raw identity key, as lowercase hex (what clients pin). */
export async function fingerprintKey(identityKey: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', identityKey))
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('')
}
