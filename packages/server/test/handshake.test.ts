import { readFileSync } from 'node:fs'
import { encodeFrame, openMessage, parseFrame, sealMessage, deriveSessionKey } from '@encrypted-socket/core'
import { describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { client, rawClient, startServer, token, until } from './helpers'
import { b64, vectors } from './vectors'

describe('authentication and handshake', () => {
  it('authenticates the core client; the JWT sub is the userId', async () => {
    const server = await startServer({ demo: true })
    const c = client(server.url, { token: await token('alice') })
    await c.connect()
    expect(c.getUserId()).toBe('alice')
    expect(server.connections()).toEqual([
      expect.objectContaining({ id: c.getClientId(), userId: 'alice', authenticated: true }),
    ])
    const replies: unknown[] = []
    c.on('echo.reply', (data) => replies.push(data))
    await c.send('echo', { hello: 'wörld' })
    await until(() => replies.length === 1)
    expect(replies).toEqual([{ hello: 'wörld' }])
  })

  it('answers with id, userId, time, a 65-byte server key and a 32-byte salt, fresh per connection', async () => {
    const server = await startServer()
    const a = rawClient(server.url)
    const b = rawClient(server.url)
    const first = await a.authenticate(await token('u'))
    const second = await b.authenticate(await token('u'))
    if (first.type !== 'connected' || second.type !== 'connected')
      throw new Error('expected connected frames')
    expect(first.userId).toBe('u')
    expect(Number.isNaN(Date.parse(first.time!))).toBe(false)
    expect(first.serverPublicKey).toHaveLength(65)
    expect(first.salt).toHaveLength(32)
    expect(Buffer.from(first.serverPublicKey!).equals(Buffer.from(second.serverPublicKey!))).toBe(false)
    expect(Buffer.from(first.salt!).equals(Buffer.from(second.salt!))).toBe(false)
    expect(first.id).not.toBe(second.id)
  })

  it.each([
    ['a wrong signature', () => token('u', { secret: 'another-secret-that-is-long-enough' })],
    ['an expired token', () => token('u', { expiresIn: Math.floor(Date.now() / 1000) - 60 })],
    ['a token not valid yet (nbf)', () => token('u', { notBefore: '1h' })],
    ['another algorithm (HS512)', () => token('u', { alg: 'HS512' })],
    ['no sub claim', () => token(undefined)],
    ['not a JWT', async () => 'not-a-jwt'],
    [
      'an unsigned token (alg none)',
      async () =>
        `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"u"}').toString('base64url')}.`,
    ],
  ])('refuses %s: an error frame, then close 1008', async (_name, makeToken) => {
    const server = await startServer()
    const raw = rawClient(server.url)
    const reply = await raw.authenticate(await makeToken())
    expect(reply).toMatchObject({ type: 'error', code: 'AUTH_FAILED' })
    expect(await raw.closed).toEqual({ code: 1008, reason: 'Authentication failed' })
    expect(server.logger.lines.some((line) => line.includes('authentication refused'))).toBe(true)
  })

  it('rejects the core client with a bad token once, without a retry storm', async () => {
    const server = await startServer()
    const c = client(server.url, {
      token: await token('u', { secret: 'wrong-secret-wrong-secret-wrong' }),
      reconnect: { interval: 1 },
    })
    await expect(c.connect()).rejects.toMatchObject({ code: 'ERR_REJECTED', closeCode: 1008 })
    await until(() => server.connections().length === 0)
    expect(server.logger.lines.filter((line) => line.includes('connection opened'))).toHaveLength(1)
  })

  it('closes with 1002 on a client public key that is not on the curve', async () => {
    const server = await startServer()
    const raw = rawClient(server.url)
    const offCurve = new Uint8Array(65).fill(1)
    offCurve[0] = 4
    await raw.opened
    raw.socket.send(encodeFrame({ type: 'authenticate', token: await token('u'), clientPublicKey: offCurve }))
    expect((await raw.closed).code).toBe(1002)
  })

  it.each([
    ['the vector key that is not on the curve', () => b64(vectors.invalid.notOnCurvePublicKey)],
    ['the vector key of the wrong length', () => b64(vectors.invalid.wrongLengthPublicKey)],
    [
      'a compressed point (33 bytes)',
      () => b64(vectors.cases[0]!.clientPublicKey).slice(0, 33).fill(2, 0, 1),
    ],
    ['a hybrid point (prefix 0x06)', () => b64(vectors.cases[0]!.clientPublicKey).fill(6, 0, 1)],
  ])('closes with 1002 and sends no connected on %s', async (_name, clientPublicKey) => {
    const server = await startServer()
    const raw = rawClient(server.url)
    await raw.opened
    raw.socket.send(
      encodeFrame({ type: 'authenticate', token: await token('u'), clientPublicKey: clientPublicKey() }),
    )
    expect(await raw.closed).toEqual({ code: 1002, reason: 'Invalid client public key' })
    expect(raw.received).toEqual([])
    expect(server.logger.lines.some((line) => line.includes('ERR_INVALID_PUBLIC_KEY'))).toBe(true)
  })

  it('closes with 1011 when the key cannot be derived after connected went out', async () => {
    const wrongCurve = await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-384' }, false, [
      'deriveBits',
    ])
    const server = await startServer({
      createKeys: async () => ({
        privateKey: wrongCurve.privateKey,
        publicKey: b64(vectors.cases[0]!.serverPublicKey),
      }),
    })
    const raw = rawClient(server.url)
    expect(await raw.authenticate(await token('u'))).toMatchObject({ type: 'connected' })
    expect(await raw.closed).toEqual({ code: 1011, reason: 'Key derivation failed' })
    expect(server.logger.lines.some((line) => line.includes('key derivation failed'))).toBe(true)
    expect(server.logger.lines.some((line) => line.includes('"authenticated"'))).toBe(false)
  })

  it('uses a verifyToken hook instead of HS256 when given one', async () => {
    const server = await startServer({
      verifyToken: (t) => (t === 'let-me-in' ? 'hooked-user' : Promise.reject(new Error(`bad ${t}`))),
    })
    const ok = client(server.url, { token: 'let-me-in' })
    await ok.connect()
    expect(ok.getUserId()).toBe('hooked-user')
    const refused = client(server.url, { token: 'nope' })
    await expect(refused.connect()).rejects.toMatchObject({ code: 'ERR_REJECTED' })
    expect(server.logger.lines.join('\n')).not.toContain('bad nope')
  })

  it('interoperates byte for byte with the protocol test vectors', async () => {
    type Vector = {
      clientPrivateKeyPkcs8: string
      clientPublicKey: string
      serverPrivateKeyPkcs8: string
      serverPublicKey: string
      ecdhInfo: string
      salt: string
      plaintext: string
      iv: string
      frame: string
      name: string
    }
    const vectors: { cases: Vector[] } = JSON.parse(
      readFileSync(new URL('../../core/test/vectors/protocol-v1.json', import.meta.url), 'utf8'),
    )
    const b64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'))
    const importEcdh = (pkcs8: string) =>
      crypto.subtle.importKey('pkcs8', b64(pkcs8), { name: 'ECDH', namedCurve: 'P-256' }, false, [
        'deriveBits',
      ])
    for (const v of vectors.cases) {
      const received: unknown[] = []
      const server = await startServer({
        ecdhInfo: v.ecdhInfo,
        createKeys: async () => ({
          privateKey: await importEcdh(v.serverPrivateKeyPkcs8),
          publicKey: b64(v.serverPublicKey),
        }),
        createSalt: () => b64(v.salt),
        onEvent: async (context, event, data) => {
          received.push({ event, data })
          await context.reply('ack', { n: 1 })
        },
      })
      const socket = new WebSocket(server.url)
      const frames: string[] = []
      socket.on('message', (data) => frames.push(data.toString()))
      await new Promise((resolve) => socket.once('open', resolve))
      socket.send(
        JSON.stringify({
          event: 'authenticate',
          data: { type: 'Bearer', token: await token('vector'), clientPublicKey: v.clientPublicKey },
        }),
      )
      await until(() => frames.length === 1)
      const connected = JSON.parse(frames[0]!)
      expect(connected.data.serverPublicKey).toBe(v.serverPublicKey)
      expect(connected.data.salt).toBe(v.salt)
      // The vector's exact frame, as the seed client would send it, is accepted and decrypted.
      socket.send(v.frame)
      await until(() => received.length === 1 && frames.length === 2)
      expect(received).toEqual([JSON.parse(v.plaintext)].map((m) => ({ event: m.event, data: m.data })))
      // And the server's reply opens with the key the vector's client derives.
      const clientKey = await deriveSessionKey(
        await importEcdh(v.clientPrivateKeyPkcs8),
        b64(v.serverPublicKey),
        b64(v.salt),
        v.ecdhInfo,
      )
      const reply = parseFrame(frames[1]!)
      if (reply.type !== 'encrypted') throw new Error(`expected an encrypted reply to vector ${v.name}`)
      expect(await openMessage(clientKey, reply.iv, reply.ct)).toEqual({ event: 'ack', data: { n: 1 } })
      socket.close()
      expect((await sealMessage(clientKey, JSON.parse(v.plaintext), b64(v.iv))).frame).toBe(v.frame)
    }
  })
})
