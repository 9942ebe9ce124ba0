import { describe, expect, it } from 'vitest'
import { mockClient, mockServer } from '../../test/helpers'

describe('request() against the mock server (v2)', () => {
  it("resolves with what the mock's onEvent returns, and rejects with the code it throws", async () => {
    const server = mockServer({
      onEvent: (_connection, { event, data }) => {
        if (event === 'quote') return { price: 101.5, of: data }
        throw Object.assign(new Error('Top up first'), { code: 'INSUFFICIENT_FUNDS' })
      },
    })
    const client = mockClient(server.url)
    await client.connect()
    expect(await client.request('quote', { sku: 'A1' })).toEqual({ price: 101.5, of: { sku: 'A1' } })
    await expect(client.request('order.place', { sku: 'A1' })).rejects.toMatchObject({
      code: 'ERR_REQUEST_FAILED',
      serverCode: 'INSUFFICIENT_FUNDS',
      message: expect.stringContaining('Top up first'),
    })
  })

  it('a mock speaking v1 makes request() reject with ERR_PROTOCOL_VERSION once connected', async () => {
    const server = mockServer({ protocol: 'v1' })
    const client = mockClient(server.url)
    await client.connect()
    await expect(client.request('quote', {})).rejects.toMatchObject({ code: 'ERR_PROTOCOL_VERSION' })
  })
})

describe('a send that nobody awaits', () => {
  it('does not become an unhandled rejection when the client is destroyed; awaiting it still rejects', async () => {
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    try {
      const server = mockServer()
      const client = mockClient(server.url)
      await client.connect()
      void client.send('chat.send', { text: 'from a click handler' })
      const awaited = client.send('chat.send', { text: 'awaited' })
      client.destroy()
      await expect(awaited).rejects.toMatchObject({ code: 'ERR_DESTROYED' })
      // Unhandled rejections are reported after the microtasks of a turn: let two turns pass.
      await new Promise((resolve) => setImmediate(resolve))
      await new Promise((resolve) => setImmediate(resolve))
      expect(unhandled).toEqual([])
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
  })
})
