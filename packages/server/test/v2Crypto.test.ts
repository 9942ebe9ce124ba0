import { createECDH, createPublicKey, verify } from 'node:crypto'
import { WELCOME_LIFETIME, welcomeSignedBytes } from '@encrypted-socket/core'
import { describe, expect, it } from 'vitest'
import { vectorsV2, type V2Case } from '../../core/test/vectors'
import { openRecord, sealRecord } from '../src/crypto/records'
import { deriveRecordKeys, transcriptHash } from '../src/crypto/recordKeys'
import { ecdhKeyPair } from '../src/crypto/serverKeyPair'
import { createHandshakeSigner } from '../src/crypto/handshakeSigner'
import { loadServerIdentity } from '../src/identity'
import { RecordChannel } from '../src/v2/recordChannel'
import { encodeServerWelcome } from '../src/v2/serverWelcome'
import { startServer } from './helpers'
import { v2Peer } from './v2Peer'
import { b64, importEcdh, privateScalar } from './vectors'

const basic = vectorsV2.cases.find((v) => v.name === 'basic')!
const signed = vectorsV2.cases.find((v) => v.signedBytes)!

function serverKeys(v: V2Case) {
  const ecdh = createECDH('prime256v1')
  ecdh.setPrivateKey(privateScalar(v.serverPrivateKeyPkcs8))
  return ecdhKeyPair(ecdh)
}

function recordKeys(v: V2Case) {
  const keys = serverKeys(v)
  const th = transcriptHash(v.welcome, b64(v.clientPublicKey))
  return deriveRecordKeys(keys.sharedSecret(b64(v.clientPublicKey)), b64(v.salt), th, v.ecdhInfo)
}

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64')

/** P1363 ECDSA P-256 / SHA-256 verification with node:crypto, independent of the server's signer. */
function verifies(identityKey: string, signature: string, signedBytes: Uint8Array): boolean {
  const point = b64(identityKey)
  const coordinate = (start: number) => Buffer.from(point.subarray(start, start + 32)).toString('base64url')
  const key = createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: coordinate(1), y: coordinate(33) },
    format: 'jwk',
  })
  return verify('sha256', signedBytes, { key, dsaEncoding: 'ieee-p1363' }, b64(signature))
}

describe.each(vectorsV2.cases)('node:crypto against the v2 vector "$name"', (v) => {
  it('derives the shared secret, the transcript hash and both record keys', () => {
    const keys = serverKeys(v)
    expect(base64(keys.publicKey)).toBe(v.serverPublicKey)
    expect(base64(keys.sharedSecret(b64(v.clientPublicKey)))).toBe(v.sharedSecret)
    expect(base64(transcriptHash(v.welcome, b64(v.clientPublicKey)))).toBe(v.transcriptHash)
    const { c2s, s2c } = recordKeys(v)
    expect(c2s.export().toString('base64')).toBe(v.keyC2S)
    expect(s2c.export().toString('base64')).toBe(v.keyS2C)
  })

  it('seals and opens every record byte for byte', () => {
    const keys = recordKeys(v)
    for (const record of v.records) {
      const key = record.direction === 'c2s' ? keys.c2s : keys.s2c
      expect(base64(sealRecord(key, record.n, b64(record.plaintext)))).toBe(record.record)
      expect(openRecord(key, record.n, b64(record.record))?.toString('base64')).toBe(record.plaintext)
    }
  })

  it('opens the client records in order and seals the server records in order on one channel', () => {
    const channel = new RecordChannel(recordKeys(v))
    for (const record of v.records) {
      if (record.direction === 'c2s') {
        expect(channel.open(b64(record.record))?.toString('base64')).toBe(record.plaintext)
      } else {
        const sealed = channel.seal(b64(record.plaintext))!
        expect(sealed.n).toBe(record.n)
        expect(base64(sealed.bytes)).toBe(record.record)
      }
    }
  })

  it('refuses every invalid record', () => {
    const keys = recordKeys(v)
    for (const bad of v.invalid) {
      const key = bad.key === 'keyC2S' ? keys.c2s : keys.s2c
      expect(openRecord(key, bad.n, b64(bad.record)), bad.why).toBeNull()
    }
    // On a channel, c2s #1 comes after #0: a record that does not open there is refused too.
    const channel = new RecordChannel(keys)
    expect(channel.open(b64(v.records[0]!.record))).not.toBeNull()
    for (const bad of v.invalid.filter((invalid) => invalid.key === 'keyC2S' && invalid.n === 1)) {
      expect(channel.open(b64(bad.record)), bad.why).toBeNull()
    }
  })
})

describe('the server welcome against the vectors', () => {
  it('encodes the exact welcome text of the unsigned vector', () => {
    const validUntil = (JSON.parse(basic.welcome) as { data: { validUntil: number } }).data.validUntil
    expect(encodeServerWelcome(serverKeys(basic), b64(basic.salt), validUntil, null)).toBe(basic.welcome)
  })

  it('verifies the signed vector, and signs its own welcome over the same bytes', async () => {
    const { data } = JSON.parse(signed.welcome) as {
      data: { validUntil: number; identityKey: string; signature: string }
    }
    const signedBytes = welcomeSignedBytes(b64(signed.serverPublicKey), b64(signed.salt), data.validUntil)
    expect(base64(signedBytes)).toBe(signed.signedBytes)
    expect(verifies(data.identityKey, data.signature, signedBytes)).toBe(true)
    const forged = Uint8Array.from(signedBytes)
    forged[forged.length - 1]! ^= 1
    expect(verifies(data.identityKey, data.signature, forged)).toBe(false)

    const identity = createHandshakeSigner(await loadServerIdentity(signed.identityPrivateKeyPkcs8!))
    const text = encodeServerWelcome(serverKeys(signed), b64(signed.salt), data.validUntil, identity)
    const ours = (JSON.parse(text) as { data: { identityKey: string; signature: string } }).data
    // ECDSA signatures are randomised: everything else is the vector's text.
    expect(text.replace(ours.signature, data.signature)).toBe(signed.welcome)
    expect(verifies(ours.identityKey, ours.signature, signedBytes)).toBe(true)
  })
})

describe('a server with the vector keys, end to end', () => {
  const vectorToken = (basic.records[0]!.message as { token: string }).token
  const validUntil = (JSON.parse(basic.welcome) as { data: { validUntil: number } }).data.validUntil

  it('sends the exact welcome, opens the vector records #0 and #1, and answers with the vector record s2c #1 byte for byte', async () => {
    const events: { event: string; data: unknown }[] = []
    const seen: string[] = []
    const server = await startServer({
      onFrame: ({ direction, text }) => void seen.push(`${direction} ${text}`),
      ecdhInfo: basic.ecdhInfo,
      createKeys: async () => ({
        privateKey: await importEcdh(basic.serverPrivateKeyPkcs8),
        publicKey: b64(basic.serverPublicKey),
      }),
      createSalt: () => b64(basic.salt),
      now: () => validUntil - WELCOME_LIFETIME,
      verifyToken: (token) => {
        if (token !== vectorToken) throw new Error('not the vector token')
        return 'ana'
      },
      onEvent: (_context, event, data) => {
        events.push({ event, data })
        return { orderId: 'o-7', note: 'zürich ✓' }
      },
    })
    const peer = v2Peer(server.url, {
      ecdhInfo: basic.ecdhInfo,
      keys: {
        privateKey: await importEcdh(basic.clientPrivateKeyPkcs8),
        publicKey: b64(basic.clientPublicKey),
      },
    })
    await peer.readWelcome()
    expect(peer.welcomeText).toBe(basic.welcome)
    await peer.hello()
    // The vector's own records, byte for byte: the server derived the vector's keys.
    const c2s = basic.records.filter((record) => record.direction === 'c2s')
    peer.socket.send(b64(c2s[0]!.record), { binary: true })
    expect(await peer.next()).toMatchObject({ t: 'ready', userId: 'ana', resumed: false, seq: 0 })
    peer.socket.send(b64(c2s[1]!.record), { binary: true })
    // A request: the handler's return value comes back as the res, which also acknowledges seq 1.
    expect(await peer.next()).toEqual({
      t: 'res',
      id: 1,
      seq: 1,
      data: { orderId: 'o-7', note: 'zürich ✓' },
      binary: false,
    })
    const s2c = basic.records.filter((record) => record.direction === 's2c')
    expect(peer.frames.at(-1)).toEqual(Buffer.from(b64(s2c[1]!.record)))
    expect(events).toEqual([{ event: 'order.create', data: Buffer.from(b64(c2s[1]!.attachment)) }])
    expect(seen.slice(0, 2)).toEqual([`out ${basic.welcome}`, `in ${basic.hello}`])
  })
})
