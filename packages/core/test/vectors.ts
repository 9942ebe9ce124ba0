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

/** Protocol v2 test vectors (PROTOCOL-v2.md §8), computed with pyca/cryptography. */
export interface V2Record {
  direction: 'c2s' | 's2c'
  n: number
  message: Record<string, unknown>
  attachment: string
  plaintext: string
  record: string
}

export interface V2Case {
  name: string
  clientPrivateKeyPkcs8: string
  clientPublicKey: string
  serverPrivateKeyPkcs8: string
  serverPublicKey: string
  identityPrivateKeyPkcs8?: string
  signedBytes?: string
  ecdhInfo: string
  salt: string
  welcome: string
  hello: string
  sharedSecret: string
  transcriptHash: string
  keyC2S: string
  keyS2C: string
  records: V2Record[]
  invalid: { why: string; direction: 'c2s' | 's2c'; key: 'keyC2S' | 'keyS2C'; n: number; record: string }[]
}

export const vectorsV2: { cases: V2Case[] } = JSON.parse(
  readFileSync(new URL('./vectors/protocol-v2.json', import.meta.url), 'utf8'),
)
