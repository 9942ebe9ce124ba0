import { WebSocketServer } from 'ws'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { pinServerKey } from '../../src/client/pinServer'
import { encodeBase64 } from '../../src/crypto/base64'
import { generateServerIdentity } from '../../src/crypto/ecdsa'
import { encodeWelcome } from '../../src/protocol/v2/welcome'
import type { ClientOptions } from '../../src/types'
import { ECDH_INFO, collect, nextError, onCleanup, peerClient, reachState, TOKEN, until } from '../helpers'
import { startPeer } from '../peer'
import { startV2Peer, type V2PeerOptions } from '../v2Peer'

async function peer(options: Partial<V2PeerOptions> = {}) {
  const started = await startV2Peer({ ecdhInfo: ECDH_INFO, ...options })
  onCleanup(() => started.stop())
  return started
}

const client = (url: string, options: Partial<ClientOptions> = {}) => peerClient(url, options)

/** Waits until the client closed this peer connection (the close the peer received). */
function closedWith(connection: { socket: import('ws').WebSocket }): Promise<number> {
  return new Promise((resolve) => connection.socket.once('close', (code) => resolve(code)))
}

describe('protocol v2 against a real ws peer', () => {
  it('negotiates v2 in auto mode, authenticates, and puts the token in no frame a proxy sees', async () => {
    const server = await peer()
    const c = client(server.url)
    await c.connect()
    expect(c.getSnapshot()).toMatchObject({ state: 'authenticated', protocol: 'v2', userId: 'u1', encrypted: true })
    const replies = collect(c, 'echo.reply')
    await c.send('echo', { card: '4111 1111 1111 1111' })
    await until(() => replies.length === 1)
    expect(replies).toEqual([{ card: '4111 1111 1111 1111' }])
    const connection = server.connections[0]!
    expect(connection.offered).toEqual(['encrypted-socket.v1', 'encrypted-socket.v2'])
    expect(connection.token).toBe(TOKEN)
    const wire = Buffer.concat(connection.wire)
    expect(wire.includes(Buffer.from(TOKEN))).toBe(false)
    expect(wire.includes(Buffer.from('4111'))).toBe(false)
    // hello in text, then binary records only: auth, then the msg with seq 1.
    expect(connection.received.map((m) => m.t)).toEqual(['auth', 'msg'])
    expect(connection.received[1]).toMatchObject({ seq: 1, event: 'echo' })
  })

  it('sends and receives binary payloads as Uint8Array', async () => {
    const server = await peer()
    const c = client(server.url, { protocol: 'v2' })
    await c.connect()
    const replies = collect<Uint8Array>(c, 'echo.reply')
    const payload = new Uint8Array([0, 1, 2, 255])
    await c.send('echo', payload)
    await until(() => replies.length === 1)
    expect(replies[0]).toBeInstanceOf(Uint8Array)
    expect([...replies[0]!]).toEqual([0, 1, 2, 255])
    expect(server.connections[0]!.received[1]).toMatchObject({ t: 'msg', binary: true })
  })

  it('joins rooms with one encrypted join per room', async () => {
    const server = await peer()
    const c = client(server.url, { autoJoinRooms: ['desk-7', 'desk-8'] })
    await c.connect()
    await until(() => server.connections[0]!.received.length === 3)
    expect(server.connections[0]!.received.slice(1)).toEqual([
      { t: 'join', room: 'desk-7' },
      { t: 'join', room: 'desk-8' },
    ])
  })

  it('reports a refused room as ERR_ROOM_DENIED with the server’s code, and stays connected', async () => {
    const server = await peer({ deny: (room) => room === 'desk-9' })
    const c = client(server.url)
    await c.connect()
    const denied = nextError(c, 'ERR_ROOM_DENIED')
    c.joinRooms(['desk-9'])
    expect((await denied).message).toContain('desk-9')
    expect((await denied).message).toContain('FORBIDDEN')
    expect(c.getState()).toBe('authenticated')
  })

  describe('a record that fails is fatal: close 4001, no delivery, reconnect', () => {
    const faults: [string, (connection: Awaited<ReturnType<typeof startV2Peer>>['connections'][number]) => Promise<void>][] = [
      ['dropped', async (c) => {
        await c.seal({ t: 'msg', event: 'tick', data: 'lost' }) // counter taken, never sent
        await c.send({ t: 'msg', event: 'tick', data: 'wrong' })
      }],
      ['reordered', async (c) => {
        const first = await c.seal({ t: 'msg', event: 'tick', data: 'wrong-1' })
        const second = await c.seal({ t: 'msg', event: 'tick', data: 'wrong-2' })
        c.socket.send(second)
        c.socket.send(first)
      }],
      ['replayed', async (c) => {
        const record = await c.seal({ t: 'msg', event: 'tick', data: 'once' })
        c.socket.send(record)
        c.socket.send(record)
      }],
      ['reflected', async (c) => {
        c.socket.send(c.wire[c.wire.length - 1]!) // the client's own last record
      }],
      ['truncated', async (c) => {
        const record = await c.seal({ t: 'msg', event: 'tick', data: 'wrong' })
        c.socket.send(record.subarray(0, record.length - 1))
      }],
      ['tampered', async (c) => {
        const record = await c.seal({ t: 'msg', event: 'tick', data: 'wrong' })
        record[0]! ^= 1
        c.socket.send(record)
      }],
    ]

    it.each(faults)('%s', async (_name, inject) => {
      const server = await peer()
      const c = client(server.url)
      await c.connect()
      const ticks = collect(c, 'tick')
      const first = server.connections[0]!
      const closed = closedWith(first)
      const failed = nextError(c, 'ERR_DECRYPT')
      await inject(first)
      expect(await closed).toBe(4001)
      await failed
      await server.connection(2)
      await reachState(c, 'authenticated')
      expect(ticks.every((tick) => tick === 'once')).toBe(true)
      expect(ticks.length).toBeLessThanOrEqual(1)
    })
  })

  it.each([
    ['a key that is not 65 bytes', (f: Record<string, unknown>) => encodeWelcome({ ...f, serverPublicKey: new Uint8Array(33) } as never)],
    ['a salt that is not 32 bytes', (f: Record<string, unknown>) => encodeWelcome({ ...f, salt: new Uint8Array(16) } as never)],
    ['validUntil with an exponent', (f: Record<string, unknown>) => encodeWelcome(f as never).replace(/"validUntil":\d+/, '"validUntil":1.8e12')],
    ['v is not 2', (f: Record<string, unknown>) => encodeWelcome(f as never).replace('"v":2', '"v":3')],
  ])('refuses a welcome with %s (close 4001, ERR_PROTOCOL)', async (_name, welcome) => {
    const server = await peer({ welcome })
    const c = client(server.url, { reconnect: { enabled: false } })
    const closed = server.connection(1).then(closedWith)
    await expect(c.connect()).rejects.toMatchObject({ code: 'ERR_PROTOCOL' })
    expect(await closed).toBe(4001)
    expect(server.connections[0]!.wire).toEqual([]) // no hello, no token
  })

  it('refuses a second welcome and a binary frame before the welcome', async () => {
    for (const inject of ['second-welcome', 'binary-first'] as const) {
      const server = await peer({ silent: () => true })
      const c = client(server.url, { reconnect: { enabled: false } })
      const connecting = c.connect()
      const connection = await server.connection(1)
      const closed = closedWith(connection)
      const text = encodeWelcome({
        serverPublicKey: await generateP256Point(),
        salt: new Uint8Array(32),
        validUntil: Date.now() + 60_000,
      })
      if (inject === 'second-welcome') {
        connection.socket.send(text)
        connection.socket.send(text)
      } else connection.socket.send(new Uint8Array(20))
      await expect(connecting).rejects.toMatchObject({ code: 'ERR_PROTOCOL' })
      expect(await closed).toBe(4001)
    }
  })

  describe('a pinned server identity', () => {
    it('accepts the pinned identity’s signed welcome', async () => {
      const identity = await generateServerIdentity()
      const server = await peer({ identity })
      const c = client(server.url, { serverIdentity: pinServerKey(encodeBase64(identity.publicKey)) })
      await c.connect()
      expect(c.getSnapshot().protocol).toBe('v2')
    })

    it('refuses another identity, an unsigned welcome and a stale one with ERR_SERVER_AUTH (4005), before sending the token', async () => {
      const pinned = await generateServerIdentity()
      const other = await generateServerIdentity()
      for (const [options, text] of [
        [{ identity: other }, 'does not verify'],
        [{}, 'not signed'],
        [{ identity: pinned, validFor: -6 * 60_000 }, 'device clock'],
        [{ identity: pinned, validFor: 11 * 60_000 }, 'device clock'],
      ] as const) {
        const server = await peer(options as Partial<V2PeerOptions>)
        const c = client(server.url, {
          serverIdentity: pinServerKey(encodeBase64(pinned.publicKey)),
          reconnect: { enabled: false },
        })
        const closed = server.connection(1).then(closedWith)
        const error = await c.connect().catch((e: unknown) => e)
        expect(error).toMatchObject({ code: 'ERR_SERVER_AUTH' })
        expect((error as Error).message).toContain(text)
        expect(await closed).toBe(4005)
        expect(server.connections[0]!.token).toBeNull()
      }
    })
  })

  it('a wrong ecdhInfo is ERR_KEY_MISMATCH naming ecdhInfo, after one attempt only', async () => {
    const server = await peer({ ecdhInfo: 'another-app/v1' })
    const c = client(server.url)
    const error = await c.connect().catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'ERR_KEY_MISMATCH' })
    expect((error as Error).message).toContain('ecdhInfo')
    expect(c.getState()).toBe('disconnected')
    expect(server.connections).toHaveLength(1)
  })

  it('a ready that does not open is ERR_KEY_MISMATCH too', async () => {
    // The peer opens nothing: it answers the hello with a ready sealed under another ecdhInfo.
    const server = await peer({ silent: () => true })
    const c = client(server.url)
    const connecting = c.connect().catch((e: unknown) => e)
    const connection = await server.connection(1)
    // Speak as a peer whose keys differ: a welcome, then any 40 bytes as record #0.
    connection.socket.send(
      encodeWelcome({ serverPublicKey: (await generateP256Point()), salt: new Uint8Array(32), validUntil: Date.now() + 60_000 }),
    )
    // The hello, then record #0 (the client sends it once its keys exist): a ready answers it.
    await new Promise<void>((resolve) =>
      connection.socket.on('message', (_data, isBinary) => {
        if (isBinary) resolve()
      }),
    )
    connection.socket.send(new Uint8Array(40))
    expect(await connecting).toMatchObject({ code: 'ERR_KEY_MISMATCH' })
  })

  it('an expired token is retried once, at once, with a fresh token from getToken()', async () => {
    const server = await peer()
    const tokens = ['expired-1', 'fresh']
    const c = client(server.url, { token: undefined, getToken: () => tokens.shift() ?? 'unused' })
    await c.connect()
    expect(server.connections.map((connection) => connection.token)).toEqual(['expired-1', 'fresh'])
    expect(c.getSnapshot().retryCount).toBe(0)
  })

  it('a second expired token, or one without getToken(), gives up with ERR_REJECTED', async () => {
    const server = await peer()
    const c = client(server.url, { token: undefined, getToken: () => 'expired-again' })
    await expect(c.connect()).rejects.toMatchObject({ code: 'ERR_REJECTED' })
    expect(server.connections).toHaveLength(2)
    const alone = client(server.url, { token: 'expired-static' })
    await expect(alone.connect()).rejects.toMatchObject({ code: 'ERR_REJECTED' })
    expect(server.connections).toHaveLength(3)
  })

  it('a refused token gives up with ERR_REJECTED and is not retried', async () => {
    const server = await peer()
    const c = client(server.url, { token: 'bad-token' })
    await expect(c.connect()).rejects.toMatchObject({ code: 'ERR_REJECTED' })
    expect(server.connections).toHaveLength(1)
  })

  it('notices a dead connection: no pong within pongTimeout → 4007 and a new connection at once', async () => {
    const server = await peer({ heartbeat: 50, answerPings: false })
    const c = client(server.url, { pongTimeout: 200, reconnect: { interval: 60_000, maxInterval: 60_000 } })
    await c.connect()
    const closed = closedWith(server.connections[0]!)
    const dead = nextError(c, 'ERR_PONG_TIMEOUT')
    expect(await closed).toBe(4007)
    await dead
    // At once, not after the 60 s backoff.
    await server.connection(2)
    await reachState(c, 'authenticated')
  })

  it('pings at once when the page comes back online, and restarts an attempt stuck in its handshake', async () => {
    const page = new EventTarget()
    const globals = globalThis as { addEventListener?: unknown; removeEventListener?: unknown }
    globals.addEventListener = page.addEventListener.bind(page)
    globals.removeEventListener = page.removeEventListener.bind(page)
    onCleanup(() => {
      delete globals.addEventListener
      delete globals.removeEventListener
    })
    const server = await peer({ heartbeat: 600_000, silent: (index) => index === 0 })
    const c = client(server.url)
    const connecting = c.connect()
    await server.connection(1) // never welcomed
    page.dispatchEvent(new Event('online'))
    await connecting
    expect(server.connections).toHaveLength(2)
    page.dispatchEvent(new Event('online'))
    await until(() => server.connections[1]!.received.some((m) => m.t === 'ping'))
  })

  describe('negotiation', () => {
    it('protocol "v2" against a v1 server: ERR_PROTOCOL_VERSION (4006), not retried, nothing sent', async () => {
      const v1 = await startPeer(ECDH_INFO)
      onCleanup(() => v1.stop())
      const c = client(v1.url, { protocol: 'v2' })
      await expect(c.connect()).rejects.toMatchObject({ code: 'ERR_PROTOCOL_VERSION' })
      expect(v1.connections).toHaveLength(1)
      expect(v1.connections[0]!.frames).toEqual([])
    })

    it('protocol "v1" offers no subprotocol, exactly as the original client', async () => {
      const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
      onCleanup(() => new Promise((resolve) => server.close(resolve)))
      await new Promise((resolve) => server.once('listening', resolve))
      const offered = new Promise<string | undefined>((resolve) =>
        server.once('connection', (_socket, request) => resolve(request.headers['sec-websocket-protocol'])),
      )
      const c = client(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`, { protocol: 'v1' })
      void c.connect().catch(() => undefined)
      expect(await offered).toBeUndefined()
    })

    it('auto: a server that selects no subprotocol (Node’s ws refuses it) is retried at once offering none, and speaks v1', async () => {
      const v1 = await startPeer(ECDH_INFO, { selectNone: true })
      onCleanup(() => v1.stop())
      const c = client(v1.url, { reconnect: { interval: 60_000, maxInterval: 60_000 } })
      await c.connect()
      expect(c.getSnapshot().protocol).toBe('v1')
    })
  })
})

async function generateP256Point(): Promise<Uint8Array<ArrayBuffer>> {
  const pair = await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits'])
  return new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey))
}
