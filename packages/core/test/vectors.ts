import { readFileSync } from 'node:fs'

/** Protocol v1 test vectors, computed independently with pyca/cryptography (OpenSSL). */
export interface VectorCase {
  name: string
  clientPrivateKeyPkcs8: string
  clientPublicKey: string
  serverPrivateKeyPkcs8: string
  serverPublicKey: string
  ecdhInfo: string
  salt: string
  sharedSecret: string
  aesKey: string
  plaintext: string
  iv: string
  ct: string
  frame: string
}

export interface Vectors {
  cases: VectorCase[]
  invalid: {
    notOnCurvePublicKey: string
    wrongLengthPublicKey: string
    tamperedCt: { case: string; iv: string; ct: string }
  }
}

export const vectors: Vectors = JSON.parse(
  readFileSync(new URL('./vectors/protocol-v1.json', import.meta.url), 'utf8'),
)

/** Test-side base64, independent of the code under test. */
export const fromB64 = (text: string): Uint8Array<ArrayBuffer> => new Uint8Array(Buffer.from(text, 'base64'))
export const toB64 = (bytes: ArrayBuffer | Uint8Array): string =>
  Buffer.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).toString('base64')

export function importPrivateKey(pkcs8: string): Promise<CryptoKey> {
  return crypto.subtle.importKey('pkcs8', fromB64(pkcs8), { name: 'ECDH', namedCurve: 'P-256' }, false, [
    'deriveBits',
  ])
}
