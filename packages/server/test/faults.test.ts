import { describe, expect, it } from 'vitest'
import { startFaultProxy } from './faultProxy'
import { client, onCleanup, startServer, token, until } from './helpers'

async function setup(options: Parameters<typeof client>[1] = {}) {
  const server = await startServer({ demo: true })
  const proxy = await startFaultProxy(server.url)
  onCleanup(() => proxy.stop())
  const c = client(proxy.url, {
    token: await token('faults'),
    reconnect: { interval: 20, jitter: 'none', maxRetries: Infinity },
    ...options,
  })
  const replies: number[] = []
  c.on('echo.reply', (n) => replies.push(n as number))
  return { server, proxy, c, replies }
}

/** Each value at most once, and in increasing order: no duplicate, no reordering. */
function expectOnceInOrder(values: number[]): void {
  for (let i = 1; i < values.length; i++) expect(values[i]!).toBeGreaterThan(values[i - 1]!)
}

describe('fault injection through a TCP proxy', () => {
  it('works when every chunk is split into 3-byte pieces', async () => {
    const { proxy, c, replies } = await setup()
    proxy.set('split')
    await c.connect()
    await c.send('echo', 1)
    await c.send('echo', 2)
    await until(() => replies.length === 2, 3000)
    expect(replies).toEqual([1, 2])
  })

  it('works when every chunk is delayed', async () => {
    const { proxy, c, replies } = await setup()
    proxy.set('delay')
    await c.connect()
    for (let i = 0; i < 20; i++) void c.send('echo', i)
    await until(() => replies.length === 20, 5000)
    expect(replies).toEqual(Array.from({ length: 20 }, (_, i) => i))
  })

  it('a stall during the handshake ends in a handshake timeout, and the next attempt succeeds', async () => {
    const { proxy, c } = await setup({ handshakeTimeout: 300 })
    proxy.set('stall')
    const connecting = c.connect()
    await until(() => c.getSnapshot().lastError?.code === 'ERR_HANDSHAKE_TIMEOUT', 3000)
    proxy.set('none')
    await connecting
    expect(c.isConnected()).toBe(true)
  })

  it('a cut mid-burst reconnects; nothing is delivered twice or out of order', async () => {
    const { server, proxy, c, replies } = await setup()
    await c.connect()
    let next = 0
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 30; i++) void c.send('echo', next++)
      const firstId = c.getClientId()
      proxy.cut()
      await until(() => c.isConnected() && c.getClientId() !== firstId, 5000)
    }
    await c.send('echo', next)
    await until(() => replies.at(-1) === next, 5000)
    expectOnceInOrder(replies)
    expect(server.connections()).toHaveLength(1)
  })

  it('a stall after authentication then a cut: the client reconnects and later sends go out', async () => {
    const { proxy, c, replies } = await setup()
    await c.connect()
    const firstId = c.getClientId()
    proxy.set('stall')
    void c.send('echo', 1) // handed to the stalled socket: at-most-once, may be lost with the cut
    proxy.cut()
    proxy.set('none')
    await until(() => c.isConnected() && c.getClientId() !== firstId, 5000)
    await c.send('echo', 2)
    await until(() => replies.includes(2), 5000)
    expectOnceInOrder(replies)
  })
})
