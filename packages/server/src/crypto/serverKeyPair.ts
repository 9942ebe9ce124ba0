import { createECDH, createPublicKey, diffieHellman, KeyObject, type ECDH } from 'node:crypto'
import type { EphemeralKeys } from '@encrypted-socket/core'

/** The server's ephemeral half of one handshake: used for one connection, then dropped. */
export interface ServerKeyPair {
  /** The raw uncompressed public point sent in `connected` (65 bytes). */
  readonly publicKey: Uint8Array<ArrayBuffer>
  /** ECDH with the client's raw public point (checked with `isP256PublicKey`): 32 bytes. */
  sharedSecret(clientPublicKey: Uint8Array): Buffer
}

/** A fresh P-256 key pair, made synchronously by OpenSSL. */
export function generateServerKeyPair(): ServerKeyPair {
  const ecdh = createECDH('prime256v1')
  ecdh.generateKeys()
  return ecdhKeyPair(ecdh)
}

/** A key pair backed by a node:crypto ECDH object holding its private key. */
export function ecdhKeyPair(ecdh: ECDH): ServerKeyPair {
  return { publicKey: ecdh.getPublicKey(), sharedSecret: (peer) => ecdh.computeSecret(peer) }
}

/** A Web Crypto key pair (the `createKeys` option, for test vectors) as a server key pair. */
export function fromEphemeralKeys(keys: EphemeralKeys): ServerKeyPair {
  const privateKey = KeyObject.from(keys.privateKey)
  return {
    publicKey: keys.publicKey,
    sharedSecret: (peer) => diffieHellman({ privateKey, publicKey: p256PublicKey(peer) }),
  }
}

function p256PublicKey(point: Uint8Array): KeyObject {
  const coordinate = (start: number) => Buffer.from(point.subarray(start, start + 32)).toString('base64url')
  return createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: coordinate(1), y: coordinate(33) },
    format: 'jwk',
  })
}
