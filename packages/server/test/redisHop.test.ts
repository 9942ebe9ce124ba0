import { decryptBytes, deriveAesKey, encodeBase64, encryptBytes, randomIv } from '@encrypted-socket/core'
import { describe, expect, it } from 'vitest'
import { hopKey, openHop, sealHop } from '../src/crypto/redisHop'

describe('the Redis hop (node:crypto)', () => {
  const encoder = new TextEncoder()
  // The format of the earlier, Web Crypto instances: base64(iv || ct || tag), key from HKDF.
  const webCryptoKey = (secret: string) =>
    deriveAesKey(encoder.encode(secret), encoder.encode('encrypted-socket/redis'), 'fanout')

  it('interoperates with the Web Crypto format both ways (instances can be upgraded one at a time)', async () => {
    const text = JSON.stringify({ event: 'chat.message', data: { text: 'héllo 🔐' }, origin: 'a' })
    const sealed = Buffer.from(sealHop(hopKey('s3cret'), text), 'base64')
    const opened = await decryptBytes(
      await webCryptoKey('s3cret'),
      new Uint8Array(sealed.subarray(0, 12)),
      new Uint8Array(sealed.subarray(12)),
    )
    expect(new TextDecoder().decode(opened)).toBe(text)
    const iv = randomIv()
    const ct = await encryptBytes(await webCryptoKey('s3cret'), iv, encoder.encode(text))
    const byWebCrypto = encodeBase64(Uint8Array.from([...iv, ...ct]))
    expect(openHop(hopKey('s3cret'), byWebCrypto)).toBe(text)
  })

  it('reads nothing sealed under another secret, nor garbage', () => {
    const sealed = sealHop(hopKey('one'), 'message')
    expect(openHop(hopKey('one'), sealed)).toBe('message')
    expect(openHop(hopKey('two'), sealed)).toBeNull()
    expect(openHop(hopKey('one'), 'not base64 at all')).toBeNull()
    expect(openHop(hopKey('one'), '')).toBeNull()
  })
})
