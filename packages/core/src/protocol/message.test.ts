import { describe, expect, it } from 'vitest'
import { IV_LENGTH, randomIv } from '../crypto/aesGcm'
import { generateKeyPair } from '../crypto/ecdh'
import { parseFrame } from './codec'
import { createEphemeralKeys, deriveSessionKey } from './handshake'
import { openMessage, sealMessage } from './message'

/** Both ends of a real handshake with fresh keys, as client and server would run it. */
async function sessionKeys(info = 'test-info') {
  const client = await createEphemeralKeys()
  const server = await createEphemeralKeys()
  const salt = crypto.getRandomValues(new Uint8Array(32))
  return {
    client: await deriveSessionKey(client.privateKey, server.publicKey, salt, info),
    server: await deriveSessionKey(server.privateKey, client.publicKey, salt, info),
  }
}

async function roundTrip(key: { client: CryptoKey; server: CryptoKey }, event: string, data?: unknown) {
  const sealed = await sealMessage(key.client, { event, data })
  const frame = parseFrame(sealed.frame)
  if (frame.type !== 'encrypted') throw new Error(`expected an encrypted frame, got ${frame.type}`)
  return openMessage(key.server, frame.iv, frame.ct)
}

describe('keys', () => {
  it('makes ephemeral key pairs whose private key cannot be exported', async () => {
    const pair = await generateKeyPair()
    expect(pair.privateKey.extractable).toBe(false)
    await expect(crypto.subtle.exportKey('pkcs8', pair.privateKey)).rejects.toThrow()
  })

  it('exports a raw 65-byte uncompressed public point, different every time', async () => {
    const a = await createEphemeralKeys()
    const b = await createEphemeralKeys()
    expect(a.publicKey).toHaveLength(65)
    expect(a.publicKey[0]).toBe(0x04)
    expect(Buffer.from(a.publicKey).equals(Buffer.from(b.publicKey))).toBe(false)
  })

  it('derives a non-extractable AES-256-GCM session key', async () => {
    const { client } = await sessionKeys()
    expect(client.extractable).toBe(false)
    expect(client.algorithm).toMatchObject({ name: 'AES-GCM', length: 256 })
  })

  it('derives different keys for different ecdhInfo', async () => {
    const client = await createEphemeralKeys()
    const server = await createEphemeralKeys()
    const salt = new Uint8Array(32)
    const a = await deriveSessionKey(client.privateKey, server.publicKey, salt, 'one')
    const b = await deriveSessionKey(server.privateKey, client.publicKey, salt, 'two')
    const sealed = parseFrame((await sealMessage(a, { event: 'x' })).frame)
    if (sealed.type !== 'encrypted') throw new Error('expected an encrypted frame')
    await expect(openMessage(b, sealed.iv, sealed.ct)).rejects.toMatchObject({ code: 'ERR_DECRYPT' })
  })
})

describe('sealMessage / openMessage', () => {
  it('round-trips non-ASCII text', async () => {
    const keys = await sessionKeys('info é 世界')
    const data = { text: 'héllo 世界 🔐 \u0000 "quotes" \\ \u2028', n: -0.5, nested: [null, true, {}] }
    expect(await roundTrip(keys, 'chat.message', data)).toEqual({ event: 'chat.message', data })
  })

  it('round-trips a 1 MiB payload', async () => {
    const keys = await sessionKeys()
    const text = 'x'.repeat(1024 * 1024)
    const message = await roundTrip(keys, 'blob', { text })
    expect((message.data as { text: string }).text === text).toBe(true)
  })

  it('round-trips a message without data', async () => {
    expect(await roundTrip(await sessionKeys(), 'ping')).toEqual({ event: 'ping' })
  })

  it('uses a fresh random 12-byte IV for every message', async () => {
    const { client } = await sessionKeys()
    const ivs = new Set<string>()
    for (let i = 0; i < 50; i++) {
      const { iv } = await sealMessage(client, { event: 'same', data: 1 })
      expect(iv).toHaveLength(IV_LENGTH)
      ivs.add(Buffer.from(iv).toString('hex'))
    }
    expect(ivs.size).toBe(50)
  })

  it('rejects data that JSON cannot serialise with ERR_INVALID_PAYLOAD', async () => {
    const { client } = await sessionKeys()
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    await expect(sealMessage(client, { event: 'x', data: cyclic })).rejects.toMatchObject({
      code: 'ERR_INVALID_PAYLOAD',
    })
    await expect(sealMessage(client, { event: 'x', data: 1n })).rejects.toMatchObject({
      code: 'ERR_INVALID_PAYLOAD',
    })
  })

  it.each([
    ['not JSON', 'not json'],
    ['a JSON array', '[1,2]'],
    ['no event', '{"data":1}'],
    ['a numeric event', '{"event":1}'],
    ['invalid UTF-8', new Uint8Array([0x7b, 0xff, 0x7d])],
  ])('rejects a decrypted plaintext that is %s with ERR_MALFORMED_FRAME', async (_name, plaintext) => {
    const { client, server } = await sessionKeys()
    const iv = randomIv()
    const bytes = typeof plaintext === 'string' ? new TextEncoder().encode(plaintext) : plaintext
    const ct = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, client, bytes))
    await expect(openMessage(server, iv, ct)).rejects.toMatchObject({ code: 'ERR_MALFORMED_FRAME' })
  })

  it('rejects a wrong IV length and a truncated tag with ERR_DECRYPT', async () => {
    const { client, server } = await sessionKeys()
    const frame = parseFrame((await sealMessage(client, { event: 'x' })).frame)
    if (frame.type !== 'encrypted') throw new Error('expected an encrypted frame')
    const longIv = new Uint8Array(16)
    await expect(openMessage(server, longIv, frame.ct)).rejects.toMatchObject({ code: 'ERR_DECRYPT' })
    await expect(openMessage(server, frame.iv, frame.ct.slice(0, 15))).rejects.toMatchObject({
      code: 'ERR_DECRYPT',
    })
  })

  it('keeps a prototype key in the decrypted data as plain data', async () => {
    const { client, server } = await sessionKeys()
    const iv = randomIv()
    const json =
      '{"event":"x","data":{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}}'
    const ct = new Uint8Array(
      await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, client, new TextEncoder().encode(json)),
    )
    const message = await openMessage(server, iv, ct)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(Object.getPrototypeOf(message.data)).toBe(Object.prototype)
    expect(Object.keys(message.data as object)).toEqual(['__proto__', 'constructor'])
  })
})
