import { createECDH } from 'node:crypto'
import {
  deriveSessionKey as clientSessionKey,
  encodeEncrypted,
  openMessage as clientOpen,
} from '@encrypted-socket/core'
import { describe, expect, it } from 'vitest'
import { openBytes, sealBytes } from '../src/crypto/aesGcm'
import { openFrame, sealFrame } from '../src/crypto/messageCrypto'
import { ecdhKeyPair, fromEphemeralKeys } from '../src/crypto/serverKeyPair'
import { deriveSessionKey, isP256PublicKey } from '../src/crypto/sessionKey'
import { b64, importEcdh, privateScalar, vectors, type VectorCase } from './vectors'

function serverKeys(v: VectorCase) {
  const ecdh = createECDH('prime256v1')
  ecdh.setPrivateKey(privateScalar(v.serverPrivateKeyPkcs8))
  return ecdhKeyPair(ecdh)
}

const sessionKey = (v: VectorCase) =>
  deriveSessionKey(serverKeys(v), b64(v.clientPublicKey), b64(v.salt), v.ecdhInfo)

describe.each(vectors.cases)('node:crypto against the protocol vector "$name"', (v) => {
  it('derives the shared secret and the AES key of the vector, from either kind of key pair', async () => {
    const keys = serverKeys(v)
    expect(Buffer.from(keys.publicKey).toString('base64')).toBe(v.serverPublicKey)
    expect(keys.sharedSecret(b64(v.clientPublicKey)).toString('base64')).toBe(v.sharedSecret)
    const fromWebCrypto = fromEphemeralKeys({
      privateKey: await importEcdh(v.serverPrivateKeyPkcs8),
      publicKey: b64(v.serverPublicKey),
    })
    expect(fromWebCrypto.sharedSecret(b64(v.clientPublicKey)).toString('base64')).toBe(v.sharedSecret)
    expect(sessionKey(v).export().toString('base64')).toBe(v.aesKey)
  })

  it('opens the vector ciphertext, and seals it byte for byte with the vector IV', () => {
    const key = sessionKey(v)
    expect(openBytes(key, b64(v.iv), b64(v.ct))?.toString('utf8')).toBe(v.plaintext)
    expect(openFrame(key, b64(v.iv), b64(v.ct), 32)).toEqual(JSON.parse(v.plaintext))
    const { iv, ct } = sealBytes(key, Buffer.from(v.plaintext), Buffer.from(b64(v.iv)))
    expect(ct.toString('base64')).toBe(v.ct)
    expect(encodeEncrypted(iv, ct)).toBe(v.frame)
  })

  it('seals frames that the core client (Web Crypto) opens, each with a fresh IV', async () => {
    const clientKey = await clientSessionKey(
      await importEcdh(v.clientPrivateKeyPkcs8),
      b64(v.serverPublicKey),
      b64(v.salt),
      v.ecdhInfo,
    )
    const first = sealFrame(sessionKey(v), Buffer.from(v.plaintext))
    const second = sealFrame(sessionKey(v), Buffer.from(v.plaintext))
    expect(first.iv).toHaveLength(12)
    expect(first.iv.equals(second.iv)).toBe(false)
    const { data } = JSON.parse(first.frame) as { data: { iv: string; ct: string } }
    expect(data.iv).toBe(first.iv.toString('base64'))
    expect(await clientOpen(clientKey, b64(data.iv), b64(data.ct))).toEqual(JSON.parse(v.plaintext))
  })
})

describe('what the server refuses', () => {
  const ascii = vectors.cases[0]!
  const key = sessionKey(ascii)

  it('accepts the vectors’ public keys and refuses off-curve, wrong-length and compressed ones', () => {
    for (const v of vectors.cases) {
      expect(isP256PublicKey(b64(v.clientPublicKey))).toBe(true)
      expect(isP256PublicKey(b64(v.serverPublicKey))).toBe(true)
    }
    expect(isP256PublicKey(b64(vectors.invalid.notOnCurvePublicKey))).toBe(false)
    expect(isP256PublicKey(b64(vectors.invalid.wrongLengthPublicKey))).toBe(false)
    const compressed = createECDH('prime256v1')
    compressed.generateKeys()
    expect(isP256PublicKey(compressed.getPublicKey(null, 'compressed'))).toBe(false)
    const wrongPrefix = Buffer.from(b64(ascii.clientPublicKey))
    wrongPrefix[0] = 0x06 // hybrid encoding: same coordinates, not protocol v1
    expect(isP256PublicKey(wrongPrefix)).toBe(false)
  })

  it('refuses the tampered vector, a wrong IV length, a truncated tag and another key', () => {
    const { iv, ct } = vectors.invalid.tamperedCt
    expect(openBytes(key, b64(iv), b64(ct))).toBeNull()
    expect(openBytes(key, new Uint8Array(16), b64(ascii.ct))).toBeNull()
    expect(openBytes(key, b64(ascii.iv), b64(ascii.ct).subarray(0, -1))).toBeNull()
    expect(openBytes(key, b64(ascii.iv), new Uint8Array(15))).toBeNull()
    expect(openBytes(sessionKey(vectors.cases[1]!), b64(ascii.iv), b64(ascii.ct))).toBeNull()
  })

  it('opens no message from plaintext that is not UTF-8 JSON with a string event', () => {
    for (const plaintext of [Buffer.from([0xff, 0xfe]), Buffer.from('[1]'), Buffer.from('{"data":1}')]) {
      const { iv, ct } = sealBytes(key, plaintext)
      expect(openBytes(key, iv, ct)).toEqual(plaintext)
      expect(openFrame(key, iv, ct, 32)).toBeNull()
    }
  })
})
