import { describe, expect, it, vi } from 'vitest'
import { encodeBase64 } from '../crypto/base64'
import { generateServerIdentity } from '../crypto/ecdsa'
import { pinServerKey } from './pinServer'
import {
  collect,
  ECDH_INFO,
  mockClient,
  mockServer,
  nextError,
  PROTOCOLS,
  reachState,
  TOKEN,
} from '../../test/helpers'

describe.each(PROTOCOLS)('handshake (%s)', (protocol) => {
  it('makes a new key pair for every connection', async () => {
    const server = mockServer({ protocol })
    const client = mockClient(server.url, { reconnect: { interval: 1, jitter: 'none' } })
    await client.connect()
    const first = await server.nextConnection()
    first.drop(1006)
    const second = await server.nextConnection()
    await reachState(client, 'authenticated')
    const keyOf = (frames: string[]) => JSON.parse(frames[0]!).data.clientPublicKey
    expect(keyOf(second.frames)).not.toBe(keyOf(first.frames))
  })

  it('calls getToken before every attempt and uses its token', async () => {
    const tokens = ['first.jwt.token', 'second.jwt.token']
    const seen: string[] = []
    const server = mockServer({ protocol, verifyToken: (token) => (seen.push(token), 'u') })
    let calls = 0
    const client = mockClient(server.url, {
      token: undefined,
      getToken: async () => tokens[calls++]!,
      reconnect: { interval: 1, jitter: 'none' },
    })
    await client.connect()
    ;(await server.nextConnection()).drop(1006)
    await server.nextConnection()
    expect(seen).toEqual(tokens)
  })

  it('uses updateToken() at the next connection', async () => {
    const seen: string[] = []
    const server = mockServer({ protocol, verifyToken: (token) => (seen.push(token), 'u') })
    const client = mockClient(server.url, { reconnect: { interval: 1, jitter: 'none' } })
    await client.connect()
    client.updateToken('refreshed.jwt.token')
    ;(await server.nextConnection()).drop(1006)
    await server.nextConnection()
    expect(seen).toEqual([TOKEN, 'refreshed.jwt.token'])
  })

  it('fails the attempt on a server key that is not on the curve, then retries', async () => {
    const server = mockServer({ protocol })
    server.sendInvalidServerKey()
    const client = mockClient(server.url, { reconnect: { interval: 1, jitter: 'none' } })
    const connecting = client.connect()
    const error = await nextError(client, 'ERR_INVALID_PUBLIC_KEY')
    expect(error.message).toMatch(/curve/)
    await reachState(client, 'reconnecting')
    server.resetHandshake()
    await connecting
    expect(client.getState()).toBe('authenticated')
  })

  it('refuses a `connected` frame (v2: a welcome) without keys under requireEncryption (downgrade)', async () => {
    const server = mockServer({ protocol })
    server.connectedWithoutKeys()
    const client = mockClient(server.url, { reconnect: { enabled: false } })
    await expect(client.connect()).rejects.toMatchObject({ code: 'ERR_PROTOCOL' })
    expect(client.getState()).toBe('disconnected')
    expect(client.isEncrypted()).toBe(false)
  })
})

describe('handshake (v1)', () => {
  it('authenticates with a fresh key pair and exchanges encrypted events both ways', async () => {
    const server = mockServer({
      protocol: 'v1',
      onEvent: (connection, message) => connection.send('echo.reply', message.data),
    })
    const client = mockClient(server.url)
    const replies = collect(client, 'echo.reply')
    const states: string[] = []
    client.onStateChange((state) => states.push(state))

    await client.connect()
    const connection = await server.nextConnection()
    expect(client.getState()).toBe('authenticated')
    expect(client.isConnected()).toBe(true)
    expect(client.isEncrypted()).toBe(true)
    expect(client.getClientId()).toBe(connection.id)
    expect(client.getUserId()).toBe('user')
    expect(states).toEqual(['connecting', 'authenticating', 'authenticated'])

    await client.send('echo', { text: 'héllo 🔐' })
    await connection.waitForEvents(1)
    await vi.waitFor(() => expect(replies).toEqual([{ text: 'héllo 🔐' }]))

    const auth = JSON.parse(connection.frames[0]!)
    expect(auth.event).toBe('authenticate')
    expect(auth.data.type).toBe('Bearer')
    expect(auth.data.token).toBe(TOKEN)
    expect(Buffer.from(auth.data.clientPublicKey, 'base64')).toHaveLength(65)
    // Nothing after the handshake crossed the wire in plaintext.
    expect(connection.frames.slice(1).map((f) => JSON.parse(f).event)).toEqual(['encrypted'])
    expect(connection.frames.join('')).not.toContain('héllo')
  })

  it('accepts a server without encryption only when requireEncryption is false, and still never sends plaintext', async () => {
    const server = mockServer({ protocol: 'v1' })
    server.connectedWithoutKeys()
    const client = mockClient(server.url, { requireEncryption: false })
    await client.connect()
    expect(client.isEncrypted()).toBe(false)
    await expect(client.send('chat', { text: 'x' })).rejects.toMatchObject({ code: 'ERR_PLAINTEXT_REJECTED' })
    const connection = await server.nextConnection()
    expect(connection.frames.map((f) => JSON.parse(f).event)).toEqual(['authenticate'])
  })

  it('rejects a bad ecdhInfo pairing through key confirmation, not silence', async () => {
    const server = mockServer({ protocol: 'v1', ecdhInfo: 'something-else' })
    const client = mockClient(server.url, { reconnect: { enabled: false } })
    expect(ECDH_INFO).not.toBe('something-else')
    await client.connect()
    const connection = await server.nextConnection()
    const failed = nextError(client, 'ERR_DECRYPT')
    await connection.send('a')
    await failed
  })
})

describe('handshake (v2)', () => {
  it('authenticates with a fresh key pair and exchanges events both ways, nothing but the hello in clear', async () => {
    const server = mockServer({
      onEvent: (connection, message) => connection.send('echo.reply', message.data),
    })
    const client = mockClient(server.url)
    const replies = collect(client, 'echo.reply')
    const states: string[] = []
    client.onStateChange((state) => states.push(state))

    await client.connect()
    const connection = await server.nextConnection()
    expect(client.getState()).toBe('authenticated')
    expect(client.isConnected()).toBe(true)
    expect(client.getSnapshot().protocol).toBe('v2')
    expect(client.isEncrypted()).toBe(true)
    expect(client.getClientId()).toBe(connection.id)
    expect(client.getUserId()).toBe('user')
    expect(states).toEqual(['connecting', 'authenticating', 'authenticated'])

    await client.send('echo', { text: 'héllo 🔐' })
    await connection.waitForEvents(1)
    await vi.waitFor(() => expect(replies).toEqual([{ text: 'héllo 🔐' }]))

    // In clear: only the hello, with a fresh 65-byte key. The token (record #0) and the event
    // (record #1) went in records.
    expect(connection.frames).toHaveLength(1)
    const hello = JSON.parse(connection.frames[0]!)
    expect(hello.event).toBe('hello')
    expect(Buffer.from(hello.data.clientPublicKey, 'base64')).toHaveLength(65)
    expect(connection.records).toHaveLength(2)
    const wire = Buffer.concat([Buffer.from(connection.frames[0]!), ...connection.records])
    expect(wire.includes(Buffer.from(TOKEN))).toBe(false)
    expect(wire.includes(Buffer.from('héllo'))).toBe(false)
  })

  it('ends a bad ecdhInfo pairing with ERR_KEY_MISMATCH naming ecdhInfo, not silence', async () => {
    const server = mockServer({ ecdhInfo: 'something-else' })
    const client = mockClient(server.url)
    const error = await client.connect().catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'ERR_KEY_MISMATCH' })
    expect((error as Error).message).toContain('ecdhInfo')
    expect(server.connections).toHaveLength(1)
  })
})

describe('handshake with a pinned server identity', () => {
  it('a pinned client never falls back to v1: against a v1 server it fails with ERR_PROTOCOL_VERSION before sending anything', async () => {
    const identity = pinServerKey(encodeBase64((await generateServerIdentity()).publicKey))
    const server = mockServer({ protocol: 'v1' })
    const client = mockClient(server.url, { serverIdentity: identity })
    await expect(client.connect()).rejects.toMatchObject({ code: 'ERR_PROTOCOL_VERSION' })
    expect(client.getState()).toBe('disconnected')
    expect(server.connections[0]!.frames).toEqual([]) // no token in clear
  })

  it('a pinned client that asks for v1 refuses a keyless, unsigned connected with ERR_SERVER_AUTH, even without requireEncryption', async () => {
    const identity = pinServerKey(encodeBase64((await generateServerIdentity()).publicKey))
    for (const requireEncryption of [true, false]) {
      const server = mockServer()
      server.connectedWithoutKeys()
      const client = mockClient(server.url, {
        requireEncryption,
        serverIdentity: identity,
        protocol: 'v1',
        reconnect: { enabled: false },
      })
      await expect(client.connect()).rejects.toMatchObject({ code: 'ERR_SERVER_AUTH' })
      expect(client.getState()).toBe('disconnected')
    }
  })
})
