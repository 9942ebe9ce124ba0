import { readFileSync } from 'node:fs'
import { createPrivateKey, webcrypto } from 'node:crypto'

/** One case of packages/core/test/vectors/protocol-v1.json (all binary values base64). */
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

export const vectors: {
  cases: VectorCase[]
  invalid: {
    notOnCurvePublicKey: string
    wrongLengthPublicKey: string
    tamperedCt: { case: string; iv: string; ct: string }
  }
} = JSON.parse(readFileSync(new URL('../../core/test/vectors/protocol-v1.json', import.meta.url), 'utf8'))

export const b64 = (text: string): Uint8Array<ArrayBuffer> => new Uint8Array(Buffer.from(text, 'base64'))

/** The raw private scalar of a PKCS#8 P-256 key. */
export const privateScalar = (pkcs8: string): Buffer =>
  Buffer.from(
    createPrivateKey({ key: Buffer.from(pkcs8, 'base64'), format: 'der', type: 'pkcs8' }).export({
      format: 'jwk',
    }).d!,
    'base64url',
  )

/** A PKCS#8 key as a non-extractable Web Crypto ECDH key (how the core client holds its keys). */
export const importEcdh = (pkcs8: string): Promise<CryptoKey> =>
  webcrypto.subtle.importKey('pkcs8', b64(pkcs8), { name: 'ECDH', namedCurve: 'P-256' }, false, [
    'deriveBits',
  ])
