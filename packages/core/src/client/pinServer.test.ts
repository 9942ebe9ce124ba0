import { describe, expect, it } from 'vitest'
import { encodeBase64 } from '../crypto/base64'
import { fingerprintKey, generateServerIdentity, handshakeTranscript, signTranscript } from '../crypto/ecdsa'
import { pinServerFingerprint, pinServerKey, type SignedHandshake } from './pinServer'

const bytes = (length: number, fill: number) => new Uint8Array(length).fill(fill)

async function signedHandshake(): Promise<{
  handshake: SignedHandshake
  identityKey: Uint8Array<ArrayBuffer>
}> {
  const identity = await generateServerIdentity()
  const keys = { clientPublicKey: bytes(65, 1), serverPublicKey: bytes(65, 2), salt: bytes(32, 3) }
  const transcript = handshakeTranscript(keys.clientPublicKey, keys.serverPublicKey, keys.salt)
  const signature = await signTranscript(identity.privateKey, transcript)
  return {
    handshake: { ...keys, protocol: 'v1', identityKey: identity.publicKey, signature },
    identityKey: identity.publicKey,
  }
}

describe('pinServerKey / pinServerFingerprint', () => {
  it('accept a handshake signed by the pinned identity', async () => {
    const { handshake, identityKey } = await signedHandshake()
    await expect(pinServerKey(encodeBase64(identityKey))(handshake)).resolves.toBeUndefined()
    const fingerprint = await fingerprintKey(identityKey)
    await expect(pinServerFingerprint(fingerprint)(handshake)).resolves.toBeUndefined()
    const withColons = fingerprint.toUpperCase().replace(/(..)(?!$)/g, '$1:')
    await expect(pinServerFingerprint(withColons)(handshake)).resolves.toBeUndefined()
  })

  it('refuse another identity, a changed transcript and an unsigned handshake with ERR_SERVER_AUTH', async () => {
    const genuine = await signedHandshake()
    const impostor = await signedHandshake()
    const byKey = pinServerKey(encodeBase64(genuine.identityKey))
    const byFingerprint = pinServerFingerprint(await fingerprintKey(genuine.identityKey))
    const failures: [() => Promise<void>, string][] = [
      [() => byKey(impostor.handshake), 'does not verify'],
      [() => byFingerprint(impostor.handshake), 'another fingerprint'],
      [() => byKey({ ...genuine.handshake, salt: bytes(32, 9) }), 'does not verify'],
      [() => byKey({ ...genuine.handshake, signature: undefined }), 'not signed'],
      [() => byFingerprint({ ...genuine.handshake, identityKey: undefined }), 'not signed'],
    ]
    for (const [failure, reason] of failures) {
      await expect(failure()).rejects.toMatchObject({
        code: 'ERR_SERVER_AUTH',
        message: expect.stringContaining(reason),
      })
    }
  })

  it('refuse a value that is not a key or a fingerprint, naming the function', () => {
    expect(() => pinServerKey('AAAA')).toThrow(
      expect.objectContaining({
        code: 'ERR_INVALID_OPTION',
        message: expect.stringContaining('pinServerKey()'),
      }),
    )
    expect(() => pinServerKey(42 as unknown as string)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    )
    expect(() => pinServerFingerprint('abc')).toThrow(
      expect.objectContaining({
        code: 'ERR_INVALID_OPTION',
        message: expect.stringContaining('pinServerFingerprint()'),
      }),
    )
  })
})
