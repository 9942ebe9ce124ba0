import { afterEach, describe, expect, it } from 'vitest'
import { MOCK_EPOCH, mockServers, type MockServerOptions } from './index'
import { ECDH_INFO, RawV2Client } from './test/rawV2Client'

const servers = mockServers({ ecdhInfo: ECDH_INFO, protocol: 'v2' }, 44_000)
afterEach(() => servers.stopAll())

async function setup(options: Partial<MockServerOptions> = {}) {
  const server = servers.create(options)
  const { client } = await RawV2Client.connect(server.url)
  return { server, client, connection: await server.nextConnection() }
}

/** The next `res`, past the acks (how many come between depends on timing). */
async function nextRes(client: RawV2Client) {
  for (;;) {
    const message = await client.nextMessage()
    if (message.t !== 'ack') return message
  }
}

describe('v2 records after ready', () => {
  it('takes msg records in seq order: onEvent gets the event and data (binary as a Uint8Array)', async () => {
    const seen: unknown[] = []
    const { client, connection, server } = await setup({
      onEvent: (_, m) => void seen.push([m.event, m.data, m.binary]),
    })
    await client.sendMessage({ t: 'msg', seq: 1, event: 'order', data: { sku: 'A1' } })
    await client.sendMessage({ t: 'msg', seq: 2, event: 'file', bin: true }, new Uint8Array([1, 2, 3]))
    await connection.waitForEvents(2)
    expect(seen).toEqual([
      ['order', { sku: 'A1' }, false],
      ['file', new Uint8Array([1, 2, 3]), true],
    ])
    expect(connection.received.map((m) => m.seq)).toEqual([1, 2])
    expect(server.received.map((m) => m.event)).toEqual(['order', 'file'])
  })

  it('send() writes msg records with the next counters, a Uint8Array as an attachment', async () => {
    const { client, connection } = await setup()
    await connection.send('news', { n: 1 })
    await connection.send('blob', new Uint8Array([9, 8]))
    await connection.sendBurst(2, 'tick')
    expect(await client.nextMessage()).toEqual({ t: 'msg', event: 'news', data: { n: 1 }, binary: false })
    expect(await client.nextMessage()).toEqual({
      t: 'msg',
      event: 'blob',
      data: new Uint8Array([9, 8]),
      binary: true,
    })
    expect(await client.nextMessage()).toMatchObject({ event: 'tick', data: { i: 0 } })
    expect(await client.nextMessage()).toMatchObject({ event: 'tick', data: { i: 1 } })
    expect(client.received).toBe(5)
  })

  it('coalesces the acks of messages handled back to back, and acknowledges a repeat again without processing it', async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const { client, connection } = await setup({ onEvent: (_, m) => (m.seq === 1 ? gate : undefined) })
    for (const seq of [1, 2, 3]) await client.sendMessage({ t: 'msg', seq, event: 'e', data: seq })
    await expect.poll(() => connection.records.length).toBe(4) // 2 and 3 wait behind 1
    release()
    expect(await client.nextMessage()).toEqual({ t: 'ack', seq: 3 })
    await client.sendMessage({ t: 'msg', seq: 2, event: 'e', data: 'again' })
    expect(await client.nextMessage()).toEqual({ t: 'ack', seq: 3 })
    expect(connection.received.map((m) => m.data)).toEqual([1, 2, 3])
  })

  it('acknowledges after ackDelay when set', async () => {
    const { client } = await setup({ ackDelay: 100 })
    const records = [
      await client.seal({ t: 'msg', seq: 1, event: 'e' }),
      await client.seal({ t: 'ping', n: 0 }),
    ]
    for (const record of records) client.sendRecord(record)
    expect(await client.nextMessage()).toEqual({ t: 'pong', n: 0 })
    expect(await client.nextMessage()).toEqual({ t: 'ack', seq: 1 })
  })

  it('answers every ping with a pong carrying the same n', async () => {
    const { client, connection } = await setup()
    await client.sendMessage({ t: 'ping', n: 0 })
    await client.sendMessage({ t: 'ping', n: 7 })
    expect(await client.nextMessage()).toEqual({ t: 'pong', n: 0 })
    expect(await client.nextMessage()).toEqual({ t: 'pong', n: 7 })
    expect(connection.heartbeats).toBe(2)
  })

  it('answers join with joined {room, epoch, seq: 0}, and leave removes the room', async () => {
    const { client, connection } = await setup()
    await client.sendMessage({ t: 'join', room: 'lobby' })
    expect(await client.nextMessage()).toEqual({ t: 'joined', room: 'lobby', epoch: MOCK_EPOCH, seq: 0 })
    expect([...connection.rooms]).toEqual(['lobby'])
    await client.sendMessage({ t: 'join', room: 'desk', since: { epoch: 'gone', seq: 3 } })
    expect(await client.nextMessage()).toMatchObject({ room: 'desk', recovered: false })
    await client.sendMessage({ t: 'leave', room: 'lobby' })
    await client.sendMessage({ t: 'ping', n: 1 })
    await client.nextMessage()
    expect([...connection.rooms]).toEqual(['desk'])
  })

  it('answers a request (msg with id) with res: onEvent’s result, or its error', async () => {
    const { client } = await setup({
      onEvent: (_, { event, data }) => {
        if (event === 'fail') throw new Error('nope')
        return event === 'bytes' ? new Uint8Array([5]) : { echo: data }
      },
    })
    await client.sendMessage({ t: 'msg', seq: 1, id: 1, event: 'echo', data: 'hi' })
    expect(await client.nextMessage()).toEqual({
      t: 'res',
      id: 1,
      seq: 1,
      data: { echo: 'hi' },
      binary: false,
    })
    await client.sendMessage({ t: 'msg', seq: 2, id: 2, event: 'bytes' })
    await client.sendMessage({ t: 'msg', seq: 3, id: 3, event: 'fail' })
    expect([await nextRes(client), await nextRes(client)]).toEqual([
      { t: 'res', id: 2, seq: 2, data: new Uint8Array([5]), binary: true },
      { t: 'res', id: 3, seq: 3, binary: false, error: { code: 'HANDLER_ERROR', message: 'nope' } },
    ])
  })

  it('refreshes a token in band: token_ok, or TOKEN_REFUSED and close 4401', async () => {
    const { client } = await setup({ verifyToken: (token) => (token === 'bad' ? false : 'ana') })
    await client.sendMessage({ t: 'token', token: 'fresh' })
    expect(await client.nextMessage()).toEqual({ t: 'token_ok' })
    await client.sendMessage({ t: 'token', token: 'bad' })
    expect(await client.nextMessage()).toMatchObject({ t: 'error', code: 'TOKEN_REFUSED' })
    expect((await client.raw.closed).code).toBe(4401)
  })

  it.each([
    [
      'a record that does not open',
      async (c: RawV2Client) => c.sendRecord(await c.seal({ t: 'ping', n: 0 }).then((r) => r.slice(0, -1))),
    ],
    [
      'a record with a skipped counter',
      async (c: RawV2Client) => {
        c.sent++
        await c.sendMessage({ t: 'ping', n: 0 })
      },
    ],
    ['a msg without seq', (c: RawV2Client) => c.sendMessage({ t: 'msg', event: 'e' })],
    ['a seq that skips ahead', (c: RawV2Client) => c.sendMessage({ t: 'msg', seq: 2, event: 'e' })],
    ['an ack beyond what the server sent', (c: RawV2Client) => c.sendMessage({ t: 'ack', seq: 1 })],
    ['a second auth', (c: RawV2Client) => c.sendMessage({ t: 'auth', token: 't' })],
    ['a ready from the client', (c: RawV2Client) => c.sendMessage({ t: 'ready' })],
    ['a text frame', async (c: RawV2Client) => c.raw.send('{"event":"heartbeat"}')],
  ])('%s: close 4001', async (_, misbehave) => {
    const { client, connection } = await setup()
    await misbehave(client)
    expect((await client.raw.closed).code).toBe(4001)
    expect(connection.errors).toHaveLength(1)
  })

  it('ignores a message of an unknown type', async () => {
    const { client } = await setup()
    await client.sendMessage({ t: 'future-thing', x: 1 })
    await client.sendMessage({ t: 'ping', n: 3 })
    expect(await client.nextMessage()).toEqual({ t: 'pong', n: 3 })
  })

  it('broadcast() reaches v2 connections', async () => {
    const { client, server } = await setup()
    await server.broadcast('all', 1)
    expect(await client.nextMessage()).toMatchObject({ event: 'all', data: 1 })
  })
})
