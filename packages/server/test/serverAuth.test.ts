import { createVerify } from 'node:crypto'
import {
  createEphemeralKeys,
  encodeBase64,
  encodeFrame,
  fingerprintKey,
  parseFrame,
  pinServerFingerprint,
  pinServerKey,
  type ServerIdentity,
} from '@encrypted-socket/core'
import { describe, expect, it } from 'vitest'
import { createServerIdentityText, loadServerIdentity } from '../src/index'
import { client, rawClient, startServer, token, until } from './helpers'

/** A client pinning the server's identity; a refused handshake fails connect() instead of retrying. */
async function pinnedClient(url: string, serverIdentity: ServerIdentity) {
  return client(url, { token: await token('u'), serverIdentity, reconnect: { enabled: false } })
}

async function identity() {
  const text = await createServerIdentityText()
  return { text, identity: await loadServerIdentity(text.privateKeyPem) }
}

describe('server authentication (opt-in)', () => {
  it('a client pinning the server key connects to the signing server', async () => {
    const { text, identity: id } = await identity()
    const server = await startServer({ identity: id })
    const pinned = await pinnedClient(server.url, pinServerKey(text.serverKey))
    await pinned.connect()
    expect(pinned.isEncrypted()).toBe(true)
    const byFingerprint = await pinnedClient(server.url, pinServerFingerprint(text.fingerprint))
    await byFingerprint.connect()
    expect(byFingerprint.isConnected()).toBe(true)
  })

  it('the signature verifies with an independent implementation (OpenSSL via node:crypto)', async () => {
    const { text, identity: id } = await identity()
    const server = await startServer({ identity: id })
    const raw = rawClient(server.url)
    await raw.opened
    const keys = await createEphemeralKeys()
    raw.socket.send(
      encodeFrame({ type: 'authenticate', token: await token('u'), clientPublicKey: keys.publicKey }),
    )
    const connected = parseFrame(await raw.nextFrame())
    if (connected.type !== 'connected') throw new Error('expected connected')
    expect(encodeBase64(connected.identityKey!)).toBe(text.serverKey)
    const transcript = Buffer.concat([
      Buffer.from('encrypted-socket/v1 connected\n'),
      keys.publicKey,
      connected.serverPublicKey!,
      connected.salt!,
    ])
    const jwk = {
      kty: 'EC',
      crv: 'P-256',
      x: Buffer.from(connected.identityKey!.slice(1, 33)).toString('base64url'),
      y: Buffer.from(connected.identityKey!.slice(33)).toString('base64url'),
    }
    const verifier = createVerify('SHA256').update(transcript)
    expect(
      verifier.verify(
        { key: jwk, format: 'jwk', dsaEncoding: 'ieee-p1363' },
        Buffer.from(connected.signature!),
      ),
    ).toBe(true)
    expect(await fingerprintKey(connected.identityKey!)).toBe(text.fingerprint)
  })

  it('refuses a server signing with another key (an impostor) with ERR_SERVER_AUTH', async () => {
    const genuine = await identity()
    const impostor = await identity()
    const server = await startServer({ identity: impostor.identity })
    const c = await pinnedClient(server.url, pinServerKey(genuine.text.serverKey))
    await expect(c.connect()).rejects.toMatchObject({
      code: 'ERR_SERVER_AUTH',
      message: expect.stringContaining('does not verify'),
    })
    expect(c.isEncrypted()).toBe(false)
    const byFingerprint = await pinnedClient(server.url, pinServerFingerprint(genuine.text.fingerprint))
    await expect(byFingerprint.connect()).rejects.toMatchObject({
      code: 'ERR_SERVER_AUTH',
      message: expect.stringContaining('fingerprint'),
    })
  })

  it('refuses an unsigned connected when a key is pinned, and v1 clients ignore the signature', async () => {
    const { text, identity: id } = await identity()
    const unsigned = await startServer()
    const c = await pinnedClient(unsigned.url, pinServerKey(text.serverKey))
    await expect(c.connect()).rejects.toMatchObject({
      code: 'ERR_SERVER_AUTH',
      message: expect.stringContaining('not signed'),
    })
    const signed = await startServer({ identity: id, demo: true })
    const v1 = client(signed.url, { token: await token('u') })
    const replies: unknown[] = []
    v1.on('echo.reply', (data) => replies.push(data))
    await v1.connect()
    await v1.send('echo', 'still v1')
    await until(() => replies.length === 1)
  })
})
