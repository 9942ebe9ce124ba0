import { describe, expect, it, vi } from 'vitest'
import { collect, mockClient, mockServer, nextError, PROTOCOLS, reachState, TOKEN } from '../../test/helpers'

/** An authenticated connection, v1 unless `options.protocol` says otherwise (most frames here are v1's). */
async function connected(
  options: Parameters<typeof mockServer>[0] = {},
  clientOptions: Parameters<typeof mockClient>[1] = {},
) {
  const server = mockServer({ protocol: 'v1', ...options })
  const client = mockClient(server.url, clientOptions)
  await client.connect()
  const connection = await server.nextConnection()
  return { server, client, connection }
}

describe.each(PROTOCOLS)('incoming frames (%s)', (protocol) => {
  it('delivers 200 encrypted frames written in one burst completely and in order', async () => {
    const { client, connection } = await connected({ protocol })
    const seen = collect<{ i: number }>(client, 'tick')
    await connection.sendBurst(200, 'tick')
    await vi.waitFor(() => expect(seen).toHaveLength(200))
    expect(seen.map((d) => d.i)).toEqual(Array.from({ length: 200 }, (_, i) => i))
  })

  it('delivers encrypted frames that arrive together with `connected` (v2: `ready`), after the key exists', async () => {
    const server = mockServer({
      protocol,
      welcome: () => Array.from({ length: 20 }, (_, i) => ({ event: 'welcome', data: i })),
    })
    const client = mockClient(server.url)
    const seen = collect<number>(client, 'welcome')
    await client.connect()
    await vi.waitFor(() => expect(seen).toHaveLength(20))
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i))
    expect(client.getSnapshot().protocol).toBe(protocol)
  })

  it('keeps lifecycle notifications out of reach of the network', async () => {
    const { client, connection } = await connected({ protocol })
    const lifecycle = vi.fn()
    client.onLifecycle('reconnect_failed', lifecycle)
    client.onLifecycle('state', lifecycle)
    client.onLifecycle('error', lifecycle)
    const appLevel = collect(client, 'reconnect_failed')
    await connection.send('reconnect_failed', { retries: 5 })
    await connection.send('state', { state: 'disconnected' })
    await vi.waitFor(() => expect(appLevel).toEqual([{ retries: 5 }]))
    expect(lifecycle).not.toHaveBeenCalled()
    expect(client.getState()).toBe('authenticated')
  })
})

describe('incoming frames (v1)', () => {
  it('drops a tampered frame, reports ERR_DECRYPT and stays connected', async () => {
    const { client, connection } = await connected()
    const seen = collect(client, 'x')
    await connection.send('x', 1)
    const reported = nextError(client, 'ERR_DECRYPT')
    await connection.sendTampered('x', 2)
    await reported
    await connection.send('x', 3)
    await vi.waitFor(() => expect(seen).toEqual([1, 3]))
    expect(client.getState()).toBe('authenticated')
    expect(client.getSnapshot().lastError?.code).toBe('ERR_DECRYPT')
  })

  it('drops a replayed frame (ERR_REPLAY): delivered once', async () => {
    const { client, connection } = await connected()
    const seen = collect(client, 'pay')
    await connection.send('pay', { amount: 10 })
    const reported = nextError(client, 'ERR_REPLAY')
    connection.replayLast()
    await reported
    await connection.send('pay', { amount: 20 })
    await vi.waitFor(() => expect(seen).toEqual([{ amount: 10 }, { amount: 20 }]))
  })

  it("drops a reflection of the client's own frame (ERR_REPLAY)", async () => {
    const { client, connection } = await connected()
    const seen = collect(client, 'order.create')
    await client.send('order.create', { id: 1 })
    await connection.waitForEvents(1)
    const reported = nextError(client, 'ERR_REPLAY')
    connection.reflectLast()
    await reported
    expect(seen).toEqual([])
  })

  it('never delivers a plaintext application event injected after the handshake', async () => {
    const { client, connection } = await connected()
    const seen = collect(client, 'order.created')
    const reported = nextError(client, 'ERR_PLAINTEXT_REJECTED')
    connection.injectPlaintext('order.created', { id: 'forged' })
    await reported
    await connection.send('order.created', { id: 'real' })
    await vi.waitFor(() => expect(seen).toEqual([{ id: 'real' }]))
  })

  it('drops a second `connected` (a re-key attempt) and keeps the original key', async () => {
    const { client, connection } = await connected()
    const seen = collect(client, 'x')
    const reported = nextError(client, 'ERR_PROTOCOL')
    await connection.sendConnectedAgain()
    await reported
    await connection.send('x', 'still the same key')
    await vi.waitFor(() => expect(seen).toEqual(['still the same key']))
    expect(client.getClientId()).toBe(connection.id)
  })

  it.each([
    ['not JSON', 'garbage'],
    ['binary-like junk', '\u0000\u0001'],
    ['an array', '[1,2]'],
    [
      'an encrypted frame with a 16-byte IV',
      `{"event":"encrypted","data":{"iv":"${Buffer.alloc(16).toString('base64')}","ct":"${Buffer.alloc(32).toString('base64')}"}}`,
    ],
    [
      'an encrypted frame with whitespace in base64',
      `{"event":"encrypted","data":{"iv":"AAAA AAAAAAAAAAA","ct":"${Buffer.alloc(32).toString('base64')}"}}`,
    ],
  ])('drops a malformed frame (%s), reports it, and keeps the connection', async (_name, raw) => {
    const { client, connection } = await connected()
    const seen = collect(client, 'x')
    const reported = nextError(client, 'ERR_MALFORMED_FRAME')
    connection.sendRaw(raw)
    await reported
    await connection.send('x', 'after')
    await vi.waitFor(() => expect(seen).toEqual(['after']))
  })

  it('reports a server `error` frame before the key exists as ERR_SERVER, with the token scrubbed', async () => {
    const server = mockServer({ protocol: 'v1' })
    server.rejectAuthentication({ code: 4401, message: `token ${TOKEN} expired` })
    const client = mockClient(server.url)
    const reported = nextError(client, 'ERR_SERVER')
    void client.connect().catch(() => undefined)
    const error = await reported
    expect(error.message).toContain('(AUTH_FAILED)')
    expect(error.message).toContain('[token]')
    expect(error.message).not.toContain(TOKEN)
  })

  it('v1: an UNDECRYPTABLE error before anything decrypted is ERR_KEY_MISMATCH naming ecdhInfo, not retried', async () => {
    const { client, connection } = await connected()
    const undecryptable = JSON.stringify({ event: 'error', data: { code: 'UNDECRYPTABLE', message: 'x' } })
    const stopped = reachState(client, 'disconnected')
    connection.sendRaw(undecryptable)
    await stopped
    expect(client.getSnapshot().lastError).toMatchObject({ code: 'ERR_KEY_MISMATCH' })
    expect(client.getSnapshot().lastError?.message).toContain('ecdhInfo')
  })

  it('v1: an UNDECRYPTABLE error once a frame decrypted cannot be the server’s: reported as unauthenticated', async () => {
    const { client, connection } = await connected()
    const seen = collect(client, 'x')
    await connection.send('x', 'first')
    await vi.waitFor(() => expect(seen).toEqual(['first']))
    const reported = nextError(client, 'ERR_UNAUTHENTICATED_FRAME')
    connection.sendRaw(JSON.stringify({ event: 'error', data: { code: 'UNDECRYPTABLE', message: 'x' } }))
    await reported
    expect(client.getState()).toBe('authenticated')
  })

  it('reports a plaintext `error` after the key exists as unauthenticated, without its text, and stays connected', async () => {
    const { client, connection } = await connected()
    const seen = collect(client, 'x')
    const reported = nextError(client, 'ERR_UNAUTHENTICATED_FRAME')
    const serverErrors: unknown[] = []
    client.onLifecycle('error', (error) => error.code === 'ERR_SERVER' && serverErrors.push(error))
    connection.sendRaw(
      JSON.stringify({ event: 'error', data: { code: 'E1', message: 'Session expired: call +1 555 0100' } }),
    )
    const error = await reported
    expect(error.message).not.toContain('555')
    await connection.send('x', 'after')
    await vi.waitFor(() => expect(seen).toEqual(['after']))
    expect(serverErrors).toEqual([])
    expect(client.getSnapshot().state).toBe('authenticated')
  })

  it('scrubs the token from a dropped plaintext event name', async () => {
    const { client, connection } = await connected()
    const reported = nextError(client, 'ERR_PLAINTEXT_REJECTED')
    connection.injectPlaintext(`leak ${TOKEN}`, {})
    const error = await reported
    expect(error.message).toContain('[token]')
    expect(error.message).not.toContain(TOKEN)
  })

  it('keeps handling frames when the logger itself throws', async () => {
    const throwing = () => {
      throw new Error('logger down')
    }
    const logger = { info() {}, debug() {}, warn: throwing, error: throwing }
    const { client, connection } = await connected({}, { logger })
    const seen = collect(client, 'x')
    connection.sendRaw('not json') // reported through logger.warn, which throws
    await connection.send('x', 'after')
    await vi.waitFor(() => expect(seen).toEqual(['after']))
  })

  it('reconnects with fresh keys when the first encrypted frames all fail (key not confirmed)', async () => {
    const server = mockServer({ protocol: 'v1' })
    server.sendWrongSalt()
    const client = mockClient(server.url, { reconnect: { interval: 1, jitter: 'none' } })
    await client.connect()
    const bad = await server.nextConnection()
    server.resetHandshake()
    const seen = collect(client, 'x')
    await bad.send('x', 1)
    await bad.send('x', 2)
    await bad.send('x', 3)
    const good = await server.nextConnection()
    await reachState(client, 'authenticated')
    await good.send('x', 'works')
    await vi.waitFor(() => expect(seen).toEqual(['works']))
    expect(bad.isOpen).toBe(false)
  })

  it('does not give up a confirmed key because of a later bad frame', async () => {
    const { client, connection } = await connected()
    await connection.send('x')
    for (let i = 0; i < 5; i++) await connection.sendTampered('x')
    const seen = collect(client, 'x')
    await connection.send('x', 'ok')
    await vi.waitFor(() => expect(seen).toEqual(['ok']))
    expect(connection.isOpen).toBe(true)
  })

  it('re-keys by reconnecting when the replay window is full', async () => {
    const server = mockServer({ protocol: 'v1' })
    const client = mockClient(server.url, { maxTrackedIvs: 4, reconnect: { interval: 1, jitter: 'none' } })
    await client.connect()
    const first = await server.nextConnection()
    const seen = collect(client, 'n')
    await first.sendBurst(4, 'n')
    const second = await server.nextConnection()
    await reachState(client, 'authenticated')
    expect(seen).toHaveLength(4)
    expect(first.isOpen).toBe(false)
    expect(client.getSnapshot().retryCount).toBe(0)
    await second.send('n', 'new key')
    await vi.waitFor(() => expect(seen).toHaveLength(5))
  })
})

describe('incoming frames (v2)', () => {
  it('reports an `error` record #0 that is not a token refusal as ERR_SERVER, with the token scrubbed', async () => {
    const server = mockServer()
    server.rejectAuthentication({ code: 4403, errorCode: 'FORBIDDEN', message: `token ${TOKEN} refused` })
    const client = mockClient(server.url)
    const reported = nextError(client, 'ERR_SERVER')
    void client.connect().catch(() => undefined)
    const error = await reported
    expect(error.message).toContain('FORBIDDEN')
    expect(error.message).toContain('[token]')
    expect(error.message).not.toContain(TOKEN)
  })
})
