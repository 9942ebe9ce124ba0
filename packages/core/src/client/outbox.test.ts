import { describe, expect, it, vi } from 'vitest'
import { collect, mockClient, mockServer, PROTOCOLS, reachState } from '../../test/helpers'

const eventsOnWire = (frames: string[]) => frames.map((frame) => JSON.parse(frame).event as string)

describe('send() and the outbox', () => {
  it.each(PROTOCOLS)(
    'queues sends made while connecting and sends them in order, encrypted, after the handshake (%s)',
    async (protocol) => {
      const server = mockServer({ protocol })
      const client = mockClient(server.url)
      const connecting = client.connect()
      const sends = [1, 2, 3].map((n) => client.send('order.create', { n }))
      await connecting
      await Promise.all(sends)
      const connection = await server.nextConnection()
      expect((await connection.waitForEvents(3)).map((m) => m.data)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }])
      if (protocol === 'v1') {
        expect(eventsOnWire(connection.frames)).toEqual([
          'authenticate',
          'encrypted',
          'encrypted',
          'encrypted',
        ])
      } else {
        // The hello in clear, then records only: the auth, and the three messages as seqs 1, 2, 3.
        expect(eventsOnWire(connection.frames)).toEqual(['hello'])
        expect(connection.records).toHaveLength(4)
        expect(connection.received.map((m) => m.seq)).toEqual([1, 2, 3])
      }
    },
  )

  it('keeps sends made while reconnecting and sends them under the new connection’s key', async () => {
    const server = mockServer()
    const client = mockClient(server.url, { reconnect: { interval: 1, jitter: 'none' } })
    await client.connect()
    const first = await server.nextConnection()
    first.drop(1006)
    await reachState(client, 'reconnecting')
    const sends = ['a', 'b', 'c'].map((text) => client.send('chat', { text }))
    await Promise.all(sends)
    const second = await server.nextConnection()
    expect((await second.waitForEvents(3)).map((m) => m.data)).toEqual([
      { text: 'a' },
      { text: 'b' },
      { text: 'c' },
    ])
    expect(first.received).toEqual([])
  })

  it('keeps order when sends are made while earlier ones are still being encrypted', async () => {
    const server = mockServer()
    const client = mockClient(server.url)
    await client.connect()
    await Promise.all(Array.from({ length: 150 }, (_, i) => client.send('n', i)))
    const connection = await server.nextConnection()
    expect((await connection.waitForEvents(150)).map((m) => m.data)).toEqual(
      Array.from({ length: 150 }, (_, i) => i),
    )
  })

  it('rejects with ERR_OUTBOX_FULL beyond outbox.maxSize and still delivers the queued ones', async () => {
    const server = mockServer()
    const client = mockClient(server.url, { outbox: { maxSize: 2 } })
    const connecting = client.connect()
    const first = client.send('x', 1)
    const second = client.send('x', 2)
    await expect(client.send('x', 3)).rejects.toMatchObject({ code: 'ERR_OUTBOX_FULL' })
    await connecting
    await Promise.all([first, second])
    expect((await (await server.nextConnection()).waitForEvents(2)).map((m) => m.data)).toEqual([1, 2])
  })

  it('rejects at once with ERR_NOT_CONNECTED while disconnected, without connecting', async () => {
    const server = mockServer()
    const client = mockClient(server.url)
    await expect(client.send('x', 1)).rejects.toMatchObject({
      code: 'ERR_NOT_CONNECTED',
      message: expect.stringContaining('connect()'),
    })
    expect(server.connections).toHaveLength(0)
  })

  it('rejects queued sends with ERR_NOT_CONNECTED on disconnect() and ERR_DESTROYED on destroy()', async () => {
    const server = mockServer()
    server.hangHandshake()
    const a = mockClient(server.url)
    void a.connect()
    const queuedA = a.send('x', 1)
    a.disconnect()
    await expect(queuedA).rejects.toMatchObject({
      code: 'ERR_NOT_CONNECTED',
      message: expect.stringContaining('send it again'),
    })
    const b = mockClient(server.url)
    void b.connect()
    const queuedB = b.send('x', 1)
    b.destroy()
    await expect(queuedB).rejects.toMatchObject({
      code: 'ERR_DESTROYED',
      message: expect.stringContaining('send()'),
    })
    await expect(b.send('x', 2)).rejects.toMatchObject({ code: 'ERR_DESTROYED' })
  })

  it('rejects queued sends when the client gives up, saying why', async () => {
    const server = mockServer()
    server.rejectAuthentication({ code: 4401 })
    const client = mockClient(server.url)
    const connecting = client.connect().catch(() => undefined)
    const queued = client.send('x', 1)
    await connecting
    const error = await queued.catch((e: unknown) => e)
    expect(error).toMatchObject({
      code: 'ERR_NOT_CONNECTED',
      cause: expect.objectContaining({ code: 'ERR_REJECTED' }),
    })
  })

  it('rejects sends with { queue: false } while not authenticated', async () => {
    const server = mockServer()
    const client = mockClient(server.url)
    void client.connect()
    await expect(client.send('x', 1, { queue: false })).rejects.toMatchObject({ code: 'ERR_NOT_CONNECTED' })
  })

  it.each(['authenticate', 'connected', 'error', 'heartbeat', 'join', 'leave', 'encrypted'])(
    'refuses the reserved name "%s" (it would travel in plaintext)',
    async (name) => {
      const server = mockServer()
      const client = mockClient(server.url)
      await client.connect()
      await expect(client.send(name, { secret: 1 })).rejects.toMatchObject({ code: 'ERR_RESERVED_EVENT' })
      const connection = await server.nextConnection()
      expect(connection.frames.join('')).not.toContain('secret')
    },
  )

  it('rejects data that is not JSON with ERR_INVALID_PAYLOAD and keeps the connection', async () => {
    const server = mockServer()
    const client = mockClient(server.url)
    await client.connect()
    await expect(client.send('x', { n: 1n })).rejects.toMatchObject({ code: 'ERR_INVALID_PAYLOAD' })
    await client.send('x', 'fine')
    expect((await (await server.nextConnection()).waitForEvents(1))[0]?.data).toBe('fine')
  })

  it('sends what the data was at send() time, even if the object changes while queued', async () => {
    const server = mockServer()
    const client = mockClient(server.url)
    const connecting = client.connect()
    const order = { qty: 1 }
    const sent = client.send('order', order)
    order.qty = 999
    await connecting
    await sent
    expect((await (await server.nextConnection()).waitForEvents(1))[0]?.data).toEqual({ qty: 1 })
  })

  it('carries 1 MiB payloads both ways', async () => {
    const big = 'é'.repeat(512 * 1024) // 1 MiB of UTF-8
    const server = mockServer({
      onEvent: (connection, message) => connection.send('big.reply', message.data),
    })
    const client = mockClient(server.url)
    const replies = collect<{ big: string }>(client, 'big.reply')
    await client.connect()
    await client.send('big', { big })
    await vi.waitFor(() => expect(replies).toHaveLength(1))
    expect(replies[0]!.big === big).toBe(true)
  })
})
