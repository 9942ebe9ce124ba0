import { webcrypto } from 'node:crypto'
import { handshakeTranscript, verifyTranscript } from '@encrypted-socket/core'
import { describe, expect, it } from 'vitest'
import { createHandshakeSigner } from '../src/crypto/handshakeSigner'
import { createServerIdentityText, loadServerIdentity } from '../src/index'
import { resolveServerOptions } from '../src/options'

describe('the handshake signature (node:crypto)', () => {
  it('is 64 bytes of r || s that the core client verifies with Web Crypto', async () => {
    const identity = await loadServerIdentity((await createServerIdentityText()).privateKeyPem)
    const signer = createHandshakeSigner(identity)
    const transcript = handshakeTranscript(
      new Uint8Array(65).fill(4),
      new Uint8Array(65).fill(5),
      new Uint8Array(32),
    )
    const signature = signer.sign(transcript)
    expect(signature).toHaveLength(64)
    expect(signer.publicKey).toBe(identity.publicKey)
    await expect(verifyTranscript(identity.publicKey, signature, transcript)).resolves.toBeUndefined()
    transcript[transcript.length - 1]! ^= 1
    await expect(verifyTranscript(identity.publicKey, signature, transcript)).rejects.toMatchObject({
      code: 'ERR_SERVER_AUTH',
    })
  })

  it('refuses an identity that is not a P-256 private key when the server is configured', async () => {
    const p384 = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, false, ['sign'])
    const options = { ecdhInfo: 'x', jwtSecret: 'a-secret-of-sixteen+' }
    expect(() =>
      resolveServerOptions({
        ...options,
        identity: { privateKey: p384.privateKey, publicKey: new Uint8Array(65) },
      }),
    ).toThrow(/P-256 private key/)
    expect(() =>
      resolveServerOptions({
        ...options,
        identity: { privateKey: p384.publicKey, publicKey: new Uint8Array(65) },
      }),
    ).toThrow(/P-256 private key/)
  })
})
