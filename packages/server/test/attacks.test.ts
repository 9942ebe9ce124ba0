import { connect, type Socket } from 'node:net'
import { createEphemeralKeys, encodeFrame } from '@encrypted-socket/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { resolveServerOptions } from '../src/options'
import { client, ECDH_INFO, rawClient, SECRET, startServer, token, until } from './helpers'

// Each attack of the adversarial review, over real sockets: the server survives it, refuses what
// it should, and keeps serving a good client.

const portOf = (url: string) => Number(new URL(url).port)

/** A TCP connection to the server, errors ignored (the attacker resets it). */
function tcp(url: string): Promise<Socket> {
  return new Promise((resolve) => {
    const socket = connect(portOf(url), '127.0.0.1', () => resolve(socket))
    socket.on('error', () => undefined)
    socket.resume() // read (and discard) what the server answers, so that its close is seen
  })
}

function upgradeRequest(headers: Record<string, string> = {}): string {
  const lines = {
    Host: '127.0.0.1',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version': '13',
    ...headers,
  }
  return `GET / HTTP/1.1\r\n${Object.entries(lines)
    .map(([name, value]) => `${name}: ${value}`)
    .join('\r\n')}\r\n\r\n`
}

const closed = (socket: Socket) => new Promise<void>((resolve) => socket.once('close', () => resolve()))

/** A good client's echo round trip: the server is alive and serving. */
async function echoes(url: string): Promise<void> {
  const good = client(url, { token: await token('good') })
  const replies: unknown[] = []
  good.on('echo.reply', (data) => replies.push(data))
  await good.connect()
  await good.send('echo', 'still here')
  await until(() => replies.length === 1)
  good.destroy()
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('the server under attack: connections', () => {
  it('survives 100 upgrades with a refused Origin that the client resets at once, and serves a good client', async () => {
    const server = await startServer({ demo: true, handshakeRate: { perSecond: 1000, burst: 1000 } })
    for (let i = 0; i < 100; i++) {
      const socket = await tcp(server.url)
      socket.write(upgradeRequest({ Origin: 'https://evil.example' }))
      socket.resetAndDestroy()
    }
    await echoes(server.url)
  })

  it('cuts a socket whose request headers never finish (slowloris), or that sends nothing, after headersTimeout', async () => {
    const server = await startServer({ headersTimeout: 500 })
    const slow = await tcp(server.url)
    slow.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n') // and nothing more
    const silent = await tcp(server.url)
    await Promise.all([closed(slow), closed(silent)])
  })

  it('cuts an upgraded socket that never authenticates and ignores the close, soon after authTimeout', async () => {
    const server = await startServer({ authTimeout: 300 })
    const socket = await tcp(server.url)
    const received: Buffer[] = []
    socket.on('data', (chunk: Buffer) => received.push(chunk))
    socket.write(upgradeRequest()) // a WebSocket that never answers the server's close frame
    await closed(socket) // ws alone would wait 30 s for the closing handshake
    expect(Buffer.concat(received).toString('latin1')).toContain('101 Switching Protocols')
  })

  it('caps connections: in total (503), per address (429), new ones per address (429) and per user (1013)', async () => {
    const total = await startServer({ maxConnections: 2 })
    const held = [rawClient(total.url), rawClient(total.url)]
    await Promise.all(held.map((raw) => raw.opened))
    await expect(rawClient(total.url).opened).rejects.toThrow('HTTP 503')

    const perAddress = await startServer({ maxConnectionsPerAddress: 2 })
    await Promise.all([rawClient(perAddress.url).opened, rawClient(perAddress.url).opened])
    await expect(rawClient(perAddress.url).opened).rejects.toThrow('HTTP 429')

    const rate = await startServer({ handshakeRate: { perSecond: 0.001, burst: 3 } })
    for (let i = 0; i < 3; i++) {
      const raw = rawClient(rate.url)
      await raw.opened
      raw.socket.close()
      await raw.closed
    }
    await expect(rawClient(rate.url).opened).rejects.toThrow('HTTP 429')

    const perUser = await startServer({ maxConnectionsPerUser: 2 })
    const ana = await token('ana')
    const first = client(perUser.url, { token: ana })
    await first.connect()
    await client(perUser.url, { token: ana }).connect()
    const third = rawClient(perUser.url)
    await third.authenticate(ana)
    expect((await third.closed).code).toBe(1013)
    await client(perUser.url, { token: await token('ben') }).connect() // other users are not affected
    first.destroy()
    await until(() => perUser.connections().length === 2)
    await client(perUser.url, { token: ana }).connect()
  })

  it('checks the public key before the token: a bad key ends the same way whatever the token', async () => {
    const server = await startServer()
    const offCurve = new Uint8Array(65).fill(1)
    offCurve[0] = 0x04
    // Neither gets a connected frame, so the handshakes are not awaited.
    const withForged = rawClient(server.url)
    void withForged.authenticate('forged.token.value', offCurve)
    const withValid = rawClient(server.url)
    void withValid.authenticate(await token('ana'), offCurve)
    expect((await withForged.closed).code).toBe(1002)
    expect((await withValid.closed).code).toBe(1002)
  })

  it('keeps serving when onFrame, onEvent and the logger throw', async () => {
    const throwing = () => {
      throw new Error(`boom ${SECRET}`)
    }
    const server = await startServer({
      demo: true,
      onFrame: throwing,
      onEvent: throwing,
      clientAddress: throwing,
      logger: { debug: throwing, info: throwing, warn: throwing, error: throwing },
    })
    await echoes(server.url)
    await echoes(server.url)
  })
})

describe('the server under attack: frames before authentication', () => {
  it('closes on a first frame over maxHandshakePayload (1009) before reading it', async () => {
    const frames: string[] = []
    const server = await startServer({ onFrame: ({ text }) => frames.push(text) })
    const raw = rawClient(server.url)
    await raw.opened
    raw.socket.send('x'.repeat(1024 * 1024))
    expect((await raw.closed).code).toBe(1009)
    expect(frames).toEqual([])
  })

  it('closes on deep JSON (1008) without parsing it', async () => {
    const server = await startServer()
    const parse = vi.spyOn(JSON, 'parse')
    const raw = rawClient(server.url)
    await raw.opened
    const deep = `${'['.repeat(8000)}${']'.repeat(8000)}`
    raw.socket.send(deep)
    expect((await raw.closed).code).toBe(1008)
    expect(parse.mock.calls.some(([text]) => text === deep)).toBe(false)
  })

  it('closes on a binary first frame, and on a second frame before connected (1008)', async () => {
    const server = await startServer({
      verifyToken: () => new Promise<string>(() => undefined), // never answers
    })
    const binary = rawClient(server.url)
    await binary.opened
    binary.socket.send(Buffer.from([1, 2, 3]))
    expect((await binary.closed).code).toBe(1008)

    const twice = rawClient(server.url)
    await twice.opened
    const { publicKey } = await createEphemeralKeys()
    const authenticate = encodeFrame({ type: 'authenticate', token: 'a.b.c', clientPublicKey: publicKey })
    twice.socket.send(authenticate)
    twice.socket.send(authenticate)
    expect((await twice.closed).code).toBe(1008)
  })

  it('handles nothing more from a refused connection: 1,000 frames after a bad first one cost one refusal', async () => {
    const server = await startServer()
    const raw = rawClient(server.url)
    await raw.opened
    raw.socket.send('{"event":"join","data":{"rooms":["r"]}}') // not an authenticate: refused
    for (let i = 0; i < 1000; i++) raw.socket.send('{"event":"heartbeat"}')
    expect((await raw.closed).code).toBe(1008)
    expect(server.drops.malformed).toBe(1)
    expect(server.logger.lines.filter((line) => line.includes('connection refused'))).toHaveLength(1)
  })
})

describe('the server under attack: frames after authentication', () => {
  it('drops control frames over maxControlPayload or nested too deep without parsing them, and stays usable', async () => {
    const server = await startServer({ demo: true, maxControlPayload: 4096 })
    const raw = rawClient(server.url)
    await raw.authenticate(await token('u'))
    const parse = vi.spyOn(JSON, 'parse')
    const big = JSON.stringify({ event: 'join', data: { rooms: ['r'], pad: 'x'.repeat(5000) } })
    const deep = `{"event":"join","data":{"rooms":${'['.repeat(1000)}${']'.repeat(1000)}}}`
    raw.socket.send(big)
    raw.socket.send(deep)
    await raw.send('echo', 'after')
    expect((await raw.receive()).data).toBe('after')
    expect(server.drops.malformed).toBe(2)
    expect(parse.mock.calls.some(([text]) => text === big || text === deep)).toBe(false)
    expect(server.roomMembers('r')).toEqual([])
  })

  it('reads an encrypted frame by its fixed shape, never by JSON.parse, in any key order and spacing', async () => {
    const server = await startServer({ demo: true })
    const raw = rawClient(server.url)
    await raw.authenticate(await token('u'))
    const parse = vi.spyOn(JSON, 'parse')
    const canonical = await raw.send('echo', 1)
    expect((await raw.receive()).data).toBe(1)
    const [, iv, ct] = /"iv":"([^"]+)","ct":"([^"]+)"/.exec(canonical)!
    const respaced = `{ "data" : { "ct" : "${ct}", "iv" : "${iv}" } ,\n "event" : "encrypted" }`
    raw.socket.send(respaced) // the first frame again: dropped as a replay, so it was read as encrypted
    await raw.send('echo', 2)
    expect((await raw.receive()).data).toBe(2)
    expect(server.drops.replayed).toBe(1)
    expect(parse.mock.calls.some(([text]) => text === canonical || text === respaced)).toBe(false)
  })

  it('drops a decrypted message nested deeper than maxDepth', async () => {
    const server = await startServer({ demo: true, maxDepth: 8 })
    const raw = rawClient(server.url)
    await raw.authenticate(await token('u'))
    const nest = (depth: number): unknown => (depth === 0 ? 'leaf' : [nest(depth - 1)])
    await raw.send('echo', nest(9))
    await raw.send('echo', nest(8))
    expect((await raw.receive()).data).toEqual(nest(8))
    expect(server.drops.undecryptable).toBe(1)
  })

  it('drops frames over the byte budget, next to the message budget', async () => {
    const server = await startServer({
      demo: true,
      maxPayload: 10_000,
      byteRateLimit: { perSecond: 0.001, burst: 10_000 },
    })
    const raw = rawClient(server.url)
    await raw.authenticate(await token('u'))
    for (let i = 0; i < 3; i++) await raw.send('echo', { i, pad: 'x'.repeat(3000) }) // 4.1 KB frames
    await until(() => server.drops.rateLimited === 1)
    const replies = [await raw.receive(), await raw.receive()]
    expect(replies.map((reply) => (reply.data as { i: number }).i)).toEqual([0, 1])
  })
})

describe('closing without losing anything', () => {
  it('handles every message a client sent before the server closed it to re-key (4003)', async () => {
    const handled: number[] = []
    const server = await startServer({
      maxTrackedIvs: 20,
      onEvent: (_context, _event, data) => void handled.push(data as number),
    })
    const c = client(server.url, { token: await token('u'), reconnect: { interval: 1, jitter: 'none' } })
    await c.connect()
    await Promise.all(Array.from({ length: 40 }, (_, i) => c.send('n', i)))
    await until(() => handled.length === 40)
    expect([...handled].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i))
  })
})

describe('the server under attack: back-pressure', () => {
  it('drops frames to a client that does not read, counts them, and closes it (1013) when it stays behind', async () => {
    const server = await startServer({ sendHighWaterMark: 256 * 1024, slowConsumerTimeout: 300 })
    const raw = rawClient(server.url)
    await raw.authenticate(await token('slow'))
    ;(raw.socket as unknown as { _socket: Socket })._socket.pause() // stops reading
    const [info] = server.connections()
    const chunk = 'x'.repeat(64 * 1024)
    const results = await Promise.all(
      Array.from({ length: 400 }, () => server.sendTo(info!.id, 'bulk', chunk)),
    )
    const written = results.filter(Boolean).length
    expect(written).toBeLessThan(400)
    expect(server.drops.slowConsumer).toBe(400 - written)
    expect(server.connections()[0]!.bufferedAmount).toBeLessThan(256 * 1024 + 100 * 1024)
    await until(() => server.connections().length === 0, 10_000) // the close, then the 2 s cut
    expect(server.logger.lines.some((line) => line.includes('closing a client that does not read'))).toBe(
      true,
    )
  })

  it('pauses reading while handlers are behind (incomingQueue), and loses nothing', async () => {
    let release = () => {}
    const gate = new Promise<void>((resolve) => (release = resolve))
    const handled: number[] = []
    const server = await startServer({
      incomingQueue: { frames: 1000, bytes: 256 * 1024 },
      onEvent: async (_context, _event, data) => {
        await gate
        handled.push((data as { i: number }).i)
      },
    })
    const raw = rawClient(server.url)
    await raw.authenticate(await token('u'))
    const pad = 'x'.repeat(32 * 1024)
    for (let i = 0; i < 100; i++) await raw.send('work', { i, pad })
    await until(() => server.connections()[0]?.readPaused === true)
    release()
    await until(() => handled.length === 100)
    expect(handled).toEqual(Array.from({ length: 100 }, (_, i) => i))
    expect(server.drops.rateLimited).toBe(0)
    expect(server.connections()[0]!.readPaused).toBe(false)
  })
})

describe('token policy', () => {
  it('refuses a token without exp unless long-lived tokens are allowed explicitly', async () => {
    const forever = await token('service', { expiresIn: null })
    const strict = await startServer()
    const refused = rawClient(strict.url)
    await refused.authenticate(forever)
    expect((await refused.closed).code).toBe(1008)
    expect(strict.logger.lines.some((line) => line.includes('ERR_JWT_CLAIM_VALIDATION_FAILED'))).toBe(true)

    const lenient = await startServer({ allowTokensWithoutExpiry: true })
    const c = client(lenient.url, { token: forever })
    await c.connect()
    expect(c.getUserId()).toBe('service')
  })

  it('refuses a secret under 32 bytes beyond loopback, and under 16 anywhere, without quoting it', () => {
    const options = { ecdhInfo: ECDH_INFO }
    const short = 'twenty-bytes-secret!'
    expect(() => resolveServerOptions({ ...options, jwtSecret: short, host: '0.0.0.0' })).toThrow(
      'too short (20 bytes)',
    )
    expect(() => resolveServerOptions({ ...options, jwtSecret: short, host: '0.0.0.0' })).not.toThrow(short)
    expect(() => resolveServerOptions({ ...options, jwtSecret: short })).not.toThrow()
    expect(() => resolveServerOptions({ ...options, jwtSecret: 'fifteen-bytes!!' })).toThrow('too short')
  })

  it("warns at startup about origins '*' and Redis without a secret; refuses that Redis beyond loopback, and a byte burst below maxPayload", async () => {
    const server = await startServer({ origins: ['*'] })
    expect(server.logger.lines.some((line) => line.includes("origins '*'"))).toBe(true)
    const remote = { ecdhInfo: ECDH_INFO, jwtSecret: SECRET, redis: 'redis://10.1.2.3:6379' }
    expect(() => resolveServerOptions(remote)).toThrow('without `redis.secret`')
    expect(() =>
      resolveServerOptions({ ...remote, redis: { url: 'redis://10.1.2.3:6379', allowPlaintext: true } }),
    ).not.toThrow()
    expect(() =>
      resolveServerOptions({ ...remote, redis: { url: 'redis://10.1.2.3:6379', secret: 'short' } }),
    ).toThrow('at least 32 bytes')
    expect(() =>
      resolveServerOptions({ ...remote, redis: undefined, byteRateLimit: { perSecond: 1, burst: 1000 } }),
    ).toThrow('below `maxPayload`')
    expect(() =>
      resolveServerOptions({ ...remote, redis: undefined, maxPayload: 32 * 1024 * 1024 }),
    ).not.toThrow()
  })
})
