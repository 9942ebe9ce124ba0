import { describe, expect, it } from 'vitest'
import { fromB64, importPrivateKey, toB64, vectors } from '../../test/vectors'
import { deriveSharedSecret, importPeerPublicKey } from '../crypto/ecdh'
import { deriveAesKey } from '../crypto/hkdf'
import { parseFrame } from './codec'
import { deriveSessionKey } from './handshake'
import { openMessage, sealMessage } from './message'

describe.each(vectors.cases)('protocol v1 vector "$name"', (v) => {
  it('derives the shared secret from either side', async () => {
    const clientSide = await deriveSharedSecret(
      await importPrivateKey(v.clientPrivateKeyPkcs8),
      await importPeerPublicKey(fromB64(v.serverPublicKey)),
    )
    const serverSide = await deriveSharedSecret(
      await importPrivateKey(v.serverPrivateKeyPkcs8),
      await importPeerPublicKey(fromB64(v.clientPublicKey)),
    )
    expect(toB64(clientSide)).toBe(v.sharedSecret)
    expect(toB64(serverSide)).toBe(v.sharedSecret)
  })

  it('derives the AES key with HKDF-SHA-256', async () => {
    const key = await deriveAesKey(fromB64(v.sharedSecret), fromB64(v.salt), v.ecdhInfo, true)
    expect(toB64(await crypto.subtle.exportKey('raw', key))).toBe(v.aesKey)
  })

  it('seals the plaintext into the exact ciphertext and frame', async () => {
    const key = await deriveSessionKey(
      await importPrivateKey(v.clientPrivateKeyPkcs8),
      fromB64(v.serverPublicKey),
      fromB64(v.salt),
      v.ecdhInfo,
    )
    const sealed = await sealMessage(key, JSON.parse(v.plaintext), fromB64(v.iv))
    expect(sealed.frame).toBe(v.frame)
    const parsed = parseFrame(sealed.frame)
    expect(parsed.type === 'encrypted' && toB64(parsed.ct)).toBe(v.ct)
  })

  it('opens the frame on the other side into the plaintext', async () => {
    const key = await deriveSessionKey(
      await importPrivateKey(v.serverPrivateKeyPkcs8),
      fromB64(v.clientPublicKey),
      fromB64(v.salt),
      v.ecdhInfo,
    )
    const frame = parseFrame(v.frame)
    if (frame.type !== 'encrypted') throw new Error(`expected an encrypted frame, got ${frame.type}`)
    const message = await openMessage(key, frame.iv, frame.ct)
    expect(JSON.stringify(message)).toBe(v.plaintext)
  })
})

describe('protocol v1 invalid vectors', () => {
  it.each([
    ['a point that is not on the curve', vectors.invalid.notOnCurvePublicKey],
    ['a key of the wrong length', vectors.invalid.wrongLengthPublicKey],
  ])('rejects %s with ERR_INVALID_PUBLIC_KEY', async (_name, key) => {
    await expect(importPeerPublicKey(fromB64(key))).rejects.toMatchObject({
      name: 'EncryptedSocketError',
      code: 'ERR_INVALID_PUBLIC_KEY',
    })
  })

  it('rejects a tampered ciphertext with ERR_DECRYPT', async () => {
    const { tamperedCt } = vectors.invalid
    const v = vectors.cases.find((c) => c.name === tamperedCt.case)!
    const key = await deriveAesKey(fromB64(v.sharedSecret), fromB64(v.salt), v.ecdhInfo)
    await expect(openMessage(key, fromB64(tamperedCt.iv), fromB64(tamperedCt.ct))).rejects.toMatchObject({
      code: 'ERR_DECRYPT',
    })
    // The same IV with the untampered ciphertext opens: only the tampering was rejected.
    await expect(openMessage(key, fromB64(v.iv), fromB64(v.ct))).resolves.toEqual(JSON.parse(v.plaintext))
  })
})
