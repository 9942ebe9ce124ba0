import {
  PROTOCOL_V1,
  PROTOCOL_V2,
  verifyTranscript,
  WELCOME_LIFETIME,
  welcomeSignedBytes,
} from '@encrypted-socket/core'
import { decodeJwt } from 'jose'
import { describe, expect, it, vi } from 'vitest'
import WebSocket from 'ws'
import { createServerIdentityText, loadServerIdentity } from '../src/identity'
import { rawClient, startServer, token, until } from './helpers'
import { v2Peer } from './v2Peer'

/** A raw socket offering `protocols`: which one the server selected, and its close. */
function offering(url: string, protocols: string[]) {
  const socket = new WebSocket(url, protocols)
  socket.on('error', () => undefined)
  const opened = new Promise<string>((resolve, reject) => {
    socket.once('open', () => resolve(socket.protocol))
    socket.once('unexpected-response', (_request, response) =>
      reject(new Error(`HTTP ${response.statusCode}`)),
    )
  })
  return { socket, opened }
}

/** A promise and its resolve function. */
function deferred<T>() {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((done) => (resolve = done))
  return { promise, resolve }
}

describe('v2 negotiation', () => {
  it('selects v2 when offered, and v1 for a client offering only v1 or nothing, on the same port', async () => {
    const server = await startServer()
    const v2 = v2Peer(server.url)
    await v2.opened
    expect(v2.socket.protocol).toBe(PROTOCOL_V2)
    expect(await v2.handshake(await token('ana'))).toMatchObject({ t: 'ready' })

    const v1Only = offering(server.url, [PROTOCOL_V1])
    expect(await v1Only.opened).toBe(PROTOCOL_V1)
    const plain = rawClient(server.url)
    expect(await plain.authenticate(await token('ben'))).toMatchObject({ type: 'connected', userId: 'ben' })
    expect(plain.socket.protocol).toBe('')

    await until(() => server.connections().filter((c) => c.authenticated).length === 2)
    const protocols = server.connections().map((c) => [c.userId, c.protocol])
    expect(protocols).toEqual(
      expect.arrayContaining([
        ['ana', 2],
        ['ben', 1],
        [null, 1],
      ]),
    )
  })

  it('requireV2: an upgrade that does not offer v2 gets HTTP 426 and no WebSocket', async () => {
    const server = await startServer({ requireV2: true })
    await expect(rawClient(server.url).opened).rejects.toThrow('HTTP 426')
    await expect(offering(server.url, [PROTOCOL_V1]).opened).rejects.toThrow('HTTP 426')
    const v2 = v2Peer(server.url)
    expect(await v2.handshake(await token('ana'))).toMatchObject({ t: 'ready', userId: 'ana' })
    expect(server.connections()).toHaveLength(1)
    expect(server.logger.lines.some((line) => line.includes('"protocols":["v2"]'))).toBe(true)
  })
})

describe('the v2 handshake', () => {
  it('welcomes at once with a fresh key and salt per connection, then answers record #0 with ready', async () => {
    const server = await startServer()
    const jwt = await token('ana')
    const [first, second] = [v2Peer(server.url), v2Peer(server.url)]
    const [a, b] = await Promise.all([first.readWelcome(), second.readWelcome()])
    expect(a.serverPublicKey).not.toEqual(b.serverPublicKey)
    expect(a.salt).not.toEqual(b.salt)
    expect(a.identityKey).toBeUndefined()
    expect(Math.abs(a.validUntil - (Date.now() + WELCOME_LIFETIME))).toBeLessThan(10_000)
    const before = Date.now()
    const ready = await first.handshake(jwt)
    const [info] = server.connections().filter((c) => c.authenticated)
    expect(ready).toEqual({
      t: 'ready',
      id: info!.id,
      userId: 'ana',
      session: expect.any(String),
      resumed: false,
      seq: 0,
      rooms: {},
      heartbeat: 20_000,
      time: expect.any(Number),
      expiresAt: decodeJwt(jwt).exp! * 1000,
    })
    expect(ready!['time']).toBeGreaterThanOrEqual(before - 1000)
    const other = await second.handshake(jwt)
    expect(other!['session']).not.toBe(ready!['session'])
    // The welcome was the only text frame from the server.
    expect(first.textFrames()).toEqual([first.welcomeText])
  })

  it('signs the welcome with the identity: ECDSA P-256 over the welcome bytes', async () => {
    const identity = await loadServerIdentity((await createServerIdentityText()).privateKeyPem)
    const server = await startServer({ identity })
    const peer = v2Peer(server.url)
    const welcome = await peer.readWelcome()
    expect(welcome.identityKey).toEqual(identity.publicKey)
    const signed = welcomeSignedBytes(welcome.serverPublicKey, welcome.salt, welcome.validUntil)
    await expect(verifyTranscript(welcome.identityKey!, welcome.signature!, signed)).resolves.toBeUndefined()
    expect(await peer.handshake(await token('ana'))).toMatchObject({ t: 'ready' })
  })

  it('refuses a bad token: an error record AUTH_FAILED, then 1008', async () => {
    const server = await startServer()
    const peer = v2Peer(server.url)
    expect(
      await peer.handshake(await token('ana', { secret: 'another-secret-of-at-least-32-bytes' })),
    ).toEqual({
      t: 'error',
      code: 'AUTH_FAILED',
      message: 'Authentication failed',
    })
    expect((await peer.closed).code).toBe(1008)
    await until(() => server.connections().length === 0)
    expect(server.logger.lines.some((line) => line.includes('ERR_JWS_SIGNATURE_VERIFICATION_FAILED'))).toBe(
      true,
    )
  })

  it('refuses an expired token with TOKEN_EXPIRED and 4401, from jose or from verifyToken', async () => {
    const server = await startServer()
    const peer = v2Peer(server.url)
    const expired = await token('ana', { expiresIn: Math.floor(Date.now() / 1000) - 60 })
    expect(await peer.handshake(expired)).toMatchObject({ t: 'error', code: 'TOKEN_EXPIRED' })
    expect((await peer.closed).code).toBe(4401)

    const custom = await startServer({
      verifyToken: () => {
        throw Object.assign(new Error('expired'), { code: 'TOKEN_EXPIRED' })
      },
    })
    const other = v2Peer(custom.url)
    expect(await other.handshake('whatever')).toMatchObject({ t: 'error', code: 'TOKEN_EXPIRED' })
    expect((await other.closed).code).toBe(4401)
  })

  it('gives ready.expiresAt from a verifyToken that returns { userId, expiresAt }', async () => {
    const server = await startServer({ verifyToken: () => ({ userId: 'svc', expiresAt: 1_900_000_000_000 }) })
    expect(await v2Peer(server.url).handshake('t')).toMatchObject({
      userId: 'svc',
      expiresAt: 1_900_000_000_000,
    })
  })

  it('closes 4001 without an error record when the ecdhInfo differs (record #0 does not open)', async () => {
    const server = await startServer()
    const peer = v2Peer(server.url, { ecdhInfo: 'another/v1' })
    expect(await peer.handshake(await token('ana'))).toBeNull()
    expect((await peer.closed).code).toBe(4001)
    expect(peer.frames).toHaveLength(1) // the welcome, nothing after it
    expect(server.drops.undecryptable).toBe(1)
  })

  it('checks the client key before the token: an off-curve key closes 4001 whatever the token, unverified', async () => {
    const verifyToken = vi.fn(() => 'ana')
    const server = await startServer({ verifyToken })
    const offCurve = new Uint8Array(65).fill(1)
    offCurve[0] = 4
    for (const jwt of ['forged.token.value', await token('ana')]) {
      const peer = v2Peer(server.url)
      await peer.hello(offCurve)
      await peer.record({ t: 'auth', token: jwt })
      expect((await peer.closed).code).toBe(4001)
      expect(await peer.next()).toBeNull()
    }
    expect(verifyToken).not.toHaveBeenCalled()
  })

  it('closes 4001 on a binary frame before the hello, a text frame after it, or a second hello', async () => {
    const server = await startServer()
    const binaryFirst = v2Peer(server.url)
    await binaryFirst.readWelcome()
    binaryFirst.socket.send(Buffer.from([1, 2, 3]))
    expect((await binaryFirst.closed).code).toBe(4001)

    const textAfter = v2Peer(server.url)
    await textAfter.hello()
    textAfter.socket.send(JSON.stringify({ t: 'auth', token: await token('ana') }))
    expect((await textAfter.closed).code).toBe(4001)

    const twice = v2Peer(server.url)
    await twice.hello()
    twice.socket.send(JSON.stringify({ event: 'hello', data: { clientPublicKey: 'x' } }))
    expect((await twice.closed).code).toBe(4001)

    const notHello = v2Peer(server.url)
    await notHello.readWelcome()
    notHello.socket.send('{"event":"authenticate"}')
    expect((await notHello.closed).code).toBe(4001)
    expect(server.drops.malformed).toBe(4)
    for (const peer of [binaryFirst, textAfter, twice, notHello]) expect(peer.frames).toHaveLength(1)
  })

  it('closes 4001 on a record #0 that is not an auth, or tampered, and processes nothing of it', async () => {
    const onEvent = vi.fn()
    const server = await startServer({ onEvent })
    const join = v2Peer(server.url)
    await join.hello()
    await join.record({ t: 'join', room: 'r' })
    expect((await join.closed).code).toBe(4001)

    const msg = v2Peer(server.url)
    await msg.hello()
    await msg.record({ t: 'msg', seq: 1, event: 'x', data: 1 })
    expect((await msg.closed).code).toBe(4001)

    const tampered = v2Peer(server.url)
    await tampered.hello()
    const record = await tampered.record({ t: 'auth', token: await token('ana') }, undefined, { send: false })
    record[0]! ^= 1
    tampered.socket.send(record, { binary: true })
    expect((await tampered.closed).code).toBe(4001)

    expect(server.roomMembers('r')).toEqual([])
    expect(onEvent).not.toHaveBeenCalled()
    expect(server.drops).toMatchObject({ malformed: 2, undecryptable: 1 })
  })

  it('closes 4001 on anything sent between record #0 and ready, and never authenticates that client', async () => {
    const verdict = deferred<string>()
    const verifyToken = vi.fn(() => verdict.promise)
    const server = await startServer({ verifyToken })
    const peer = v2Peer(server.url)
    await peer.hello()
    await peer.record({ t: 'auth', token: 't' })
    await until(() => verifyToken.mock.calls.length === 1)
    await peer.record({ t: 'ping', n: 1 })
    expect((await peer.closed).code).toBe(4001)
    verdict.resolve('ana')
    expect(await peer.next()).toBeNull()
    expect(server.drops.unauthenticated).toBe(1)
    await until(() => server.connections().length === 0)
  })

  it('closes 4408 when no valid record #0 arrives within authTimeout, counted from the upgrade', async () => {
    const server = await startServer({ authTimeout: 200 })
    const silent = v2Peer(server.url)
    const helloOnly = v2Peer(server.url)
    await helloOnly.hello()
    expect((await silent.closed).code).toBe(4408)
    expect((await helloOnly.closed).code).toBe(4408)
  })

  it('stops the auth timeout at a valid record #0, even while verifyToken takes longer', async () => {
    const verdict = deferred<string>()
    const server = await startServer({ authTimeout: 200, verifyToken: () => verdict.promise })
    const slow = v2Peer(server.url)
    await slow.hello()
    await slow.record({ t: 'auth', token: 't' })
    // A connection opened after it is timed out after it: by then the first one's timer has run.
    const clock = v2Peer(server.url)
    expect((await clock.closed).code).toBe(4408)
    verdict.resolve('ana')
    expect(await slow.next()).toMatchObject({ t: 'ready', userId: 'ana' })
  })

  it('closes with TOO_MANY_CONNECTIONS and 1013 beyond maxConnectionsPerUser', async () => {
    const server = await startServer({ maxConnectionsPerUser: 1 })
    const jwt = await token('ana')
    expect(await v2Peer(server.url).handshake(jwt)).toMatchObject({ t: 'ready' })
    const second = v2Peer(server.url)
    expect(await second.handshake(jwt)).toMatchObject({ t: 'error', code: 'TOO_MANY_CONNECTIONS' })
    expect((await second.closed).code).toBe(1013)
  })

  it('reads the hello and record #0 up to maxHandshakePayload, and records up to maxPayload after ready', async () => {
    const server = await startServer({ maxHandshakePayload: 1024, maxPayload: 64 * 1024 })
    const bigHello = v2Peer(server.url)
    await bigHello.readWelcome()
    bigHello.socket.send(`{"event":"hello","data":{"clientPublicKey":"${'A'.repeat(2000)}"}}`)
    expect((await bigHello.closed).code).toBe(1009)

    const bigAuth = v2Peer(server.url)
    await bigAuth.hello()
    await bigAuth.record({ t: 'auth', token: 'x'.repeat(2000) })
    expect((await bigAuth.closed).code).toBe(1009)

    const ok = v2Peer(server.url)
    await ok.handshake(await token('ana'))
    await ok.record({ t: 'msg', seq: 1, event: 'big', data: 'x'.repeat(32 * 1024) })
    expect(await ok.expect('ack')).toEqual({ t: 'ack', seq: 1 })
  })
})
