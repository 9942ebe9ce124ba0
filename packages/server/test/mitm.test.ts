import { pinServerKey, type ClientOptions } from '@encrypted-socket/core'
import { describe, expect, it } from 'vitest'
import { createServerIdentityText, loadServerIdentity, type ServerOptions } from '../src/index'
import { client, onCleanup, startServer, token, until } from './helpers'
import { startMitmProxy, type MitmFault } from './mitmProxy'

/** A v2 server behind an active man in the middle, and a client that echoes numbered messages through it. */
async function setup(serverOptions: Partial<ServerOptions> = {}, clientOptions: Partial<ClientOptions> = {}) {
  const processed: number[] = []
  const server = await startServer({
    onEvent: async (context, event, data) => {
      if (event !== 'echo') return
      processed.push((data as { n: number }).n)
      await context.reply('echo.reply', data)
    },
    ...serverOptions,
  })
  const proxy = await startMitmProxy(server.url)
  onCleanup(() => proxy.stop())
  const jwt = await token('ana')
  const c = client(proxy.url, {
    protocol: 'auto',
    token: jwt,
    reconnect: { interval: 20, maxInterval: 20 },
    ...clientOptions,
  })
  const delivered: number[] = []
  const errors: string[] = []
  c.on('echo.reply', (data) => delivered.push((data as { n: number }).n))
  c.onLifecycle('error', (error) => errors.push(error.code))
  let authentications = 0
  c.onLifecycle('authenticated', () => authentications++)
  return { server, proxy, c, jwt, processed, delivered, errors, authentications: () => authentications }
}

/** Each number once at most, in increasing order: nothing delivered twice, out of order or invented. */
function expectFaithful(numbers: number[], sent: number) {
  expect(new Set(numbers).size).toBe(numbers.length)
  expect([...numbers].sort((a, b) => a - b)).toEqual(numbers)
  expect(numbers.every((n) => n >= 1 && n <= sent)).toBe(true)
}

describe('an active man in the middle against protocol v2: every attack is detected, nothing wrong is delivered', () => {
  const recordFaults: [MitmFault, string][] = [
    ['drop-s2c', 'a server record dropped'],
    ['reorder-s2c', 'two server records swapped'],
    ['replay-s2c', 'a server record replayed'],
    ['reflect-to-client', 'a client record reflected back to the client'],
    ['drop-c2s', 'a client record dropped'],
    ['reorder-c2s', 'two client records swapped'],
    ['replay-c2s', 'a client record replayed'],
    ['reflect-to-server', 'a server record reflected back to the server'],
  ]

  it.each(recordFaults)('%s (%s): the connection fails (4001) and is replaced', async (fault) => {
    const { proxy, c, jwt, processed, delivered, errors, authentications } = await setup()
    await c.connect()
    expect(c.getSnapshot().protocol).toBe('v2')
    await c.send('echo', { n: 1 })
    await until(() => delivered.length === 1)
    proxy.arm(fault)
    for (let n = 2; n <= 4; n++) await c.send('echo', { n }).catch(() => undefined)
    await until(() => proxy.armed === null && authentications() === 2)
    expect(errors.some((code) => ['ERR_DECRYPT', 'ERR_PROTOCOL', 'ERR_CONNECTION_CLOSED'].includes(code))).toBe(true)
    await c.send('echo', { n: 5 })
    await until(() => delivered.includes(5))
    expectFaithful(delivered, 5)
    expectFaithful(processed, 5)
    const wire = Buffer.concat(proxy.captured)
    expect(wire.includes(Buffer.from(jwt))).toBe(false)
  })

  it('a swapped welcome (the proxy’s own key) to an unpinned client: the server cannot open the token, ERR_KEY_MISMATCH', async () => {
    const { proxy, c, jwt, processed } = await setup()
    proxy.arm('swap-welcome')
    await expect(c.connect()).rejects.toMatchObject({ code: 'ERR_KEY_MISMATCH' })
    expect(processed).toEqual([])
    expect(Buffer.concat(proxy.captured).includes(Buffer.from(jwt))).toBe(false)
  })

  it('a swapped welcome to a pinned client: ERR_SERVER_AUTH before the token leaves', async () => {
    const text = await createServerIdentityText()
    const { proxy, c, jwt } = await setup(
      { identity: await loadServerIdentity(text.privateKeyPem) },
      { serverIdentity: pinServerKey(text.serverKey), reconnect: { enabled: false } },
    )
    proxy.arm('swap-welcome')
    await expect(c.connect()).rejects.toMatchObject({ code: 'ERR_SERVER_AUTH' })
    const wire = Buffer.concat(proxy.captured)
    expect(wire.includes(Buffer.from('"hello"'))).toBe(false)
    expect(wire.includes(Buffer.from(jwt))).toBe(false)
  })

  it('a stripped subprotocol offer (a downgrade) fails a pinned client with ERR_PROTOCOL_VERSION, the token unsent', async () => {
    const text = await createServerIdentityText()
    const { proxy, c, jwt } = await setup(
      { identity: await loadServerIdentity(text.privateKeyPem) },
      { serverIdentity: pinServerKey(text.serverKey) },
    )
    proxy.arm('strip-subprotocol')
    await expect(c.connect()).rejects.toMatchObject({ code: 'ERR_PROTOCOL_VERSION' })
    expect(Buffer.concat(proxy.captured).includes(Buffer.from(jwt))).toBe(false)
  })

  it('a stripped offer to protocol "v2": ERR_PROTOCOL_VERSION; to an unpinned "auto" client: v1, visible in the snapshot', async () => {
    const strict = await setup({}, { protocol: 'v2' })
    strict.proxy.arm('strip-subprotocol')
    await expect(strict.c.connect()).rejects.toMatchObject({ code: 'ERR_PROTOCOL_VERSION' })
    const lenient = await setup()
    lenient.proxy.arm('strip-subprotocol')
    await lenient.c.connect()
    // The documented limit of 'auto' without a pin: the application can see it, and refuse it.
    expect(lenient.c.getSnapshot().protocol).toBe('v1')
  })
})
