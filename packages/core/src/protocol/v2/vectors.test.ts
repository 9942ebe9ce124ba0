import { describe, expect, it } from 'vitest'
import { fromB64, importPrivateKey, toB64, vectorsV2 } from '../../../test/vectors'
import { deriveSharedSecret, importPeerPublicKey } from '../../crypto/ecdh'
import { verifyTranscript } from '../../crypto/ecdsa'
import { clientRecordKeys, deriveRecordKeys, transcriptHash } from './keys'
import { readMessage } from './messages'
import { encodeRecordPlaintext, openRecord, sealRecord } from './record'
import { encodeHello, encodeWelcome, parseHello, parseWelcome, welcomeSignedBytes } from './welcome'

const importAes = (raw: string) =>
  crypto.subtle.importKey('raw', fromB64(raw), 'AES-GCM', false, ['encrypt', 'decrypt'])

describe.each(vectorsV2.cases)('protocol v2 vector "$name"', (v) => {
  it('reproduces the welcome and hello texts exactly', () => {
    const welcome = parseWelcome(v.welcome)
    if ('error' in welcome) throw new Error(welcome.error)
    expect(toB64(welcome.serverPublicKey)).toBe(v.serverPublicKey)
    expect(toB64(welcome.salt)).toBe(v.salt)
    expect(encodeWelcome(welcome)).toBe(v.welcome)
    expect(encodeHello(fromB64(v.clientPublicKey))).toBe(v.hello)
    expect(toB64(parseHello(v.hello)!)).toBe(v.clientPublicKey)
  })

  it('derives the shared secret, the transcript hash and both record keys', async () => {
    const shared = await deriveSharedSecret(
      await importPrivateKey(v.serverPrivateKeyPkcs8),
      await importPeerPublicKey(fromB64(v.clientPublicKey)),
    )
    expect(toB64(shared)).toBe(v.sharedSecret)
    const th = await transcriptHash(v.welcome, fromB64(v.clientPublicKey))
    expect(toB64(th)).toBe(v.transcriptHash)
    const keys = await deriveRecordKeys(shared, fromB64(v.salt), th, v.ecdhInfo, true)
    expect(toB64(await crypto.subtle.exportKey('raw', keys.c2s))).toBe(v.keyC2S)
    expect(toB64(await crypto.subtle.exportKey('raw', keys.s2c))).toBe(v.keyS2C)
  })

  it('seals every record byte for byte with the keys the client derives', async () => {
    const keys = await clientRecordKeys(
      await importPrivateKey(v.clientPrivateKeyPkcs8),
      fromB64(v.clientPublicKey),
      v.welcome,
      fromB64(v.serverPublicKey),
      fromB64(v.salt),
      v.ecdhInfo,
    )
    for (const record of v.records) {
      const plaintext = encodeRecordPlaintext(JSON.stringify(record.message), fromB64(record.attachment))
      expect(toB64(plaintext)).toBe(record.plaintext)
      const key = record.direction === 'c2s' ? keys.c2s : keys.s2c
      expect(toB64(await sealRecord(key, record.n, plaintext))).toBe(record.record)
      expect(toB64(await openRecord(key, record.n, fromB64(record.record)))).toBe(record.plaintext)
    }
  })

  it('reads every record message, the attachment as data', async () => {
    for (const record of v.records) {
      const read = readMessage(fromB64(record.plaintext), record.direction === 'c2s' ? 'client' : 'server')
      expect(read.type).toBe('message')
      if (read.type !== 'message') continue
      expect(read.message.t).toBe(record.message['t'])
      if (record.attachment) {
        expect(read.message).toMatchObject({ binary: true, data: fromB64(record.attachment) })
      }
    }
  })

  it('refuses every invalid record', async () => {
    for (const bad of v.invalid) {
      const key = await importAes(v[bad.key])
      await expect(openRecord(key, bad.n, fromB64(bad.record)), bad.why).rejects.toMatchObject({
        code: 'ERR_DECRYPT',
      })
    }
  })

})

describe.each(vectorsV2.cases.filter((v) => v.signedBytes))('protocol v2 signed vector "$name"', (v) => {
  it('verifies the welcome signature over the exact signed bytes', async () => {
    const welcome = parseWelcome(v.welcome)
    if ('error' in welcome) throw new Error(welcome.error)
    const signed = welcomeSignedBytes(welcome.serverPublicKey, welcome.salt, welcome.validUntil)
    expect(toB64(signed)).toBe(v.signedBytes)
    await expect(verifyTranscript(welcome.identityKey!, welcome.signature!, signed)).resolves.toBeUndefined()
    const forged = signed.slice()
    forged[forged.length - 1]! ^= 1
    await expect(verifyTranscript(welcome.identityKey!, welcome.signature!, forged)).rejects.toMatchObject({
      code: 'ERR_SERVER_AUTH',
    })
  })
})
