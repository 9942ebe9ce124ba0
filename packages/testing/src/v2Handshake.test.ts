import {
  encodeAuthenticate,
  encodeHello,
  generateServerIdentity,
  parseServerFrame,
  PROTOCOL_V1,
  PROTOCOL_V2,
  verifyTranscript,
  welcomeSignedBytes,
  WELCOME_LIFETIME,
  createEphemeralKeys,
  handshakeTranscript,
} from '@encrypted-socket/core'
import { afterEach, describe, expect, it } from 'vitest'
import { mockServers } from './index'
import { RawSocket } from './test/rawSocket'
import { ECDH_INFO, RawV2Client } from './test/rawV2Client'

const servers = mockServers({ ecdhInfo: ECDH_INFO, protocol: 'v2' }, 43_000)
afterEach(() => servers.stopAll())

describe('v2 negotiation', () => {
  it.each([
    ['v2', [PROTOCOL_V1, PROTOCOL_V2], PROTOCOL_V2],
    ['v2', [PROTOCOL_V1], PROTOCOL_V1],
    ['v2', [], ''],
    ['v1', [PROTOCOL_V1, PROTOCOL_V2], PROTOCOL_V1],
    ['v2-only', [PROTOCOL_V1, PROTOCOL_V2], PROTOCOL_V2],
  ] as const)('protocol %s, offered %j: selects "%s"', async (protocol, offered, selected) => {
    const server = servers.create({ protocol })
    const raw = await RawSocket.open(server.url, [...offered])
    expect(raw.protocol).toBe(selected)
  })

  it('defaults to v2', async () => {
    const server = servers.create({ protocol: undefined })
    const raw = await RawSocket.open(server.url, [PROTOCOL_V1, PROTOCOL_V2])
    expect(raw.protocol).toBe(PROTOCOL_V2)
  })

  it('v2-only refuses an upgrade that does not offer v2', async () => {
    const server = servers.create({ protocol: 'v2-only' })
    await expect(RawSocket.open(server.url, [PROTOCOL_V1])).rejects.toThrow(/upgrade failed/)
  })

  it('speaks v1 to a client that offers no subprotocol, signed when it has an identity', async () => {
    const identity = await generateServerIdentity()
    const server = servers.create({ identity, verifyToken: () => 'ana' })
    const raw = await RawSocket.open(server.url, [])
    const keys = await createEphemeralKeys()
    raw.send(encodeAuthenticate('t', keys.publicKey))
    const connected = parseServerFrame(await raw.nextText())
    if (connected.type !== 'connected') throw new Error(`got ${connected.type}`)
    expect(connected.userId).toBe('ana')
    const transcript = handshakeTranscript(keys.publicKey, connected.serverPublicKey!, connected.salt!)
    await verifyTranscript(connected.identityKey!, connected.signature!, transcript)
    expect((await server.nextConnection()).protocol).toBe('v1')
  })
})

describe('v2 handshake', () => {
  it('sends the welcome at once, takes hello + auth, and answers ready as record #0', async () => {
    const server = servers.create({
      verifyToken: (token) => (token === 'good' ? 'ana' : false),
      heartbeat: 5_000,
    })
    const before = Date.now()
    const { first } = await RawV2Client.connect(server.url, { token: 'good' })
    expect(first).toMatchObject({
      t: 'ready',
      userId: 'ana',
      resumed: false,
      seq: 0,
      rooms: {},
      heartbeat: 5_000,
    })
    const connection = await server.nextConnection()
    expect(connection).toMatchObject({ protocol: 'v2', userId: 'ana', isAuthenticated: true })
    expect(first).toMatchObject({ id: connection.id })
    expect(connection.frames).toEqual([expect.stringMatching(/^\{"event":"hello"/)])
    expect(connection.records).toHaveLength(1)
    expect(connection.key).toBeNull()
    const { welcome } = await RawV2Client.start(server.url)
    expect(welcome.validUntil).toBeGreaterThanOrEqual(before + WELCOME_LIFETIME)
    expect(welcome.identityKey).toBeUndefined()
  })

  it('signs the welcome with its identity: the signature verifies over the signed bytes', async () => {
    const identity = await generateServerIdentity()
    const server = servers.create({ identity })
    const { client, first } = await RawV2Client.connect(server.url, { pin: identity.publicKey })
    const { serverPublicKey, salt, validUntil, identityKey, signature } = client.welcome
    expect(identityKey).toEqual(identity.publicKey)
    await verifyTranscript(identityKey!, signature!, welcomeSignedBytes(serverPublicKey, salt, validUntil))
    expect(first.t).toBe('ready')
  })

  it.each([
    ['false', () => false as const, 'AUTH_FAILED', 1008],
    ['{ expired: true }', () => ({ expired: true }) as const, 'TOKEN_EXPIRED', 4401],
  ])('verifyToken → %s: an error record #0 (%s), then close %i', async (_, verifyToken, code, closeCode) => {
    const server = servers.create({ verifyToken })
    const { client, first } = await RawV2Client.connect(server.url)
    expect(first).toMatchObject({ t: 'error', code })
    expect((await client.raw.closed).code).toBe(closeCode)
  })

  it('rejectAuthentication() in v2 pairs 4401 with TOKEN_EXPIRED, and takes an errorCode', async () => {
    const server = servers.create()
    server.rejectAuthentication({ code: 4401, message: 'Token expired' })
    expect((await RawV2Client.connect(server.url)).first).toMatchObject({ t: 'error', code: 'TOKEN_EXPIRED' })
    server.rejectAuthentication({ code: 4403, errorCode: 'FORBIDDEN' })
    const { client, first } = await RawV2Client.connect(server.url)
    expect(first).toMatchObject({ t: 'error', code: 'FORBIDDEN' })
    expect((await client.raw.closed).code).toBe(4403)
  })

  it('records the resume request and answers resumed:false with a new session', async () => {
    const server = servers.create()
    const resume = { session: 'old', seq: 4, rooms: { lobby: { epoch: 'e', seq: 2 } } }
    const { first } = await RawV2Client.connect(server.url, { resume })
    expect(first).toMatchObject({ t: 'ready', resumed: false, seq: 0 })
    expect(first).not.toMatchObject({ session: 'old' })
    expect((await server.nextConnection()).resumeRequest).toEqual(resume)
  })

  it('writes the welcome option’s events right after ready, as msg records', async () => {
    const server = servers.create({
      welcome: () => [
        { event: 'state', data: { n: 1 } },
        { event: 'blob', data: new Uint8Array([7]) },
      ],
    })
    const { client } = await RawV2Client.connect(server.url)
    expect(await client.nextMessage()).toMatchObject({
      t: 'msg',
      event: 'state',
      data: { n: 1 },
      binary: false,
    })
    expect(await client.nextMessage()).toMatchObject({
      t: 'msg',
      event: 'blob',
      data: new Uint8Array([7]),
      binary: true,
    })
  })

  it.each([
    [
      'a record #0 that does not open',
      async (c: RawV2Client) => {
        c.raw.send(encodeHello(c.own.publicKey))
        c.sent = 1
        await c.sendMessage({ t: 'auth', token: 't' })
      },
    ],
    [
      'a record #0 that is not an auth',
      async (c: RawV2Client) => {
        c.raw.send(encodeHello(c.own.publicKey))
        await c.sendMessage({ t: 'ping', n: 0 })
      },
    ],
    ['a hello that is not one', async (c: RawV2Client) => c.raw.send('{"event":"hello","data":{}}')],
    [
      'a hello with a key off the curve',
      async (c: RawV2Client) => {
        const key = c.own.publicKey.slice()
        key[64]! ^= 1
        c.raw.send(encodeHello(key))
      },
    ],
    ['a binary frame before the hello', async (c: RawV2Client) => c.raw.send(new Uint8Array(32))],
    [
      'a text frame after the hello',
      async (c: RawV2Client) => {
        c.raw.send(encodeHello(c.own.publicKey))
        c.raw.send('{"event":"authenticate"}')
      },
    ],
  ])('%s: close 4001, no error record', async (_, misbehave) => {
    const server = servers.create()
    const client = await RawV2Client.start(server.url)
    await misbehave(client)
    expect((await client.raw.closed).code).toBe(4001)
    expect(client.raw.unread).toBe(0)
    expect(server.connections[0]!.isAuthenticated).toBe(false)
  })
})
