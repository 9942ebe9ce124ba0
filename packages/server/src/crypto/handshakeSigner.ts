import { KeyObject, sign } from 'node:crypto'
import type { ServerIdentity } from '../identity'

/** The server identity, ready to sign handshakes synchronously. */
export interface HandshakeSigner {
  /** Raw P-256 public key, sent as `identityKey`. */
  publicKey: Uint8Array<ArrayBuffer>
  /** ECDSA P-256 / SHA-256 over the transcript: raw `r || s`, 64 bytes, as Web Crypto verifies it. */
  sign(transcript: Uint8Array): Uint8Array<ArrayBuffer>
}

/** Converts the identity's key once; fails at once when it is not an ECDSA P-256 private key. */
export function createHandshakeSigner(identity: ServerIdentity): HandshakeSigner {
  const key = KeyObject.from(identity.privateKey)
  if (key.type !== 'private' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new TypeError(
      'encrypted-socket server: `identity.privateKey` must be a P-256 private key; load it with loadServerIdentity(pem).',
    )
  }
  return {
    publicKey: identity.publicKey,
    sign: (transcript) => sign('sha256', transcript, { key, dsaEncoding: 'ieee-p1363' }),
  }
}
