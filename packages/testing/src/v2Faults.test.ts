import { openRecord, readMessage } from '@encrypted-socket/core'
import { afterEach, describe, expect, it } from 'vitest'
import { mockServers } from './index'
import { ECDH_INFO, RawV2Client } from './test/rawV2Client'

const servers = mockServers({ ecdhInfo: ECDH_INFO, protocol: 'v2' }, 45_000)
afterEach(() => servers.stopAll())

async function setup() {
  const server = servers.create()
  const { client } = await RawV2Client.connect(server.url)
  return { server, client, connection: await server.nextConnection() }
}

/** What a client sees: the next record fails to open with the counter it expects. */
async function expectNextToFail(client: RawV2Client) {
  const n = client.received
  await expect(client.nextMessage()).rejects.toMatchObject({
    code: 'ERR_DECRYPT',
    message: expect.stringContaining(`Record ${n} `),
  })
  return client.lastRecord!
}

describe('v2 faults', () => {
  it('dropNextRecord(): the next record is sealed but not sent, so the one after fails with the expected counter', async () => {
    const { client, connection } = await setup()
    connection.dropNextRecord()
    await connection.send('a')
    await connection.send('b')
    const record = await expectNextToFail(client) // expected #1
    expect(await client.open(record, 2)).toMatchObject({ event: 'b' })
  })

  it('reorderNextTwo(): the next two records go out swapped', async () => {
    const { client, connection } = await setup()
    connection.reorderNextTwo()
    await Promise.all([connection.send('a'), connection.send('b')])
    const first = await expectNextToFail(client)
    expect(await client.open(first, 2)).toMatchObject({ event: 'b' })
    expect(await client.open(await client.nextRecord(), 1)).toMatchObject({ event: 'a' })
  })

  it('replayLastRecord(): the last record again, byte for byte', async () => {
    const { client, connection } = await setup()
    await connection.send('a')
    expect(await client.nextMessage()).toMatchObject({ event: 'a' })
    const original = client.lastRecord
    await connection.replayLastRecord()
    expect(await expectNextToFail(client)).toEqual(original)
  })

  it('reflectLastRecord(): the client’s own last record comes back, and fails under the s2c key', async () => {
    const { client, connection } = await setup()
    await client.sendMessage({ t: 'ping', n: 0 })
    await client.nextMessage() // pong
    await connection.reflectLastRecord()
    const reflected = await expectNextToFail(client)
    expect(reflected).toEqual(client.lastSent)
    const plaintext = await openRecord(client.keys.c2s, 1, reflected)
    expect(readMessage(plaintext, 'client')).toEqual({ type: 'message', message: { t: 'ping', n: 0 } })
  })

  it('truncateNextRecord(): the next record goes out one byte short', async () => {
    const { client, connection } = await setup()
    connection.truncateNextRecord()
    await connection.send('a')
    await connection.send('b')
    expect((await expectNextToFail(client)).length).toBe(
      16 + 4 + JSON.stringify({ t: 'msg', event: 'a' }).length - 1,
    )
    expect(await client.nextMessage()).toMatchObject({ event: 'b' }) // the counter moved on
  })

  it('sendTampered(): one bit flipped, the counter used', async () => {
    const { client, connection } = await setup()
    await connection.sendTampered('forged', 1)
    await connection.send('b')
    await expectNextToFail(client)
    expect(await client.nextMessage()).toMatchObject({ event: 'b' })
  })

  it('replayLast() and reflectLast() do the same on a v2 connection', async () => {
    const { client, connection } = await setup()
    const ready = client.lastRecord
    connection.replayLast()
    expect(await expectNextToFail(client)).toEqual(ready)
    connection.reflectLast()
    expect(await expectNextToFail(client)).toEqual(client.lastSent) // the auth
  })

  it('ignorePings(true): no pong and nothing else, no counter used; ignorePings(false) answers again', async () => {
    const { client, connection } = await setup()
    connection.ignorePings(true)
    await client.sendMessage({ t: 'ping', n: 0 })
    await client.sendMessage({ t: 'msg', seq: 1, event: 'e' }) // its ack is not sent either
    await connection.waitForEvents(1)
    await connection.settled()
    await connection.send('unsent')
    connection.ignorePings(false)
    await client.sendMessage({ t: 'ping', n: 1 })
    expect(await client.nextMessage()).toEqual({ t: 'pong', n: 1 }) // record #1
    expect(connection.heartbeats).toBe(2)
  })

  it('sendConnectedAgain() and injectPlaintext() write text frames after the handshake', async () => {
    const { client, connection } = await setup()
    await connection.sendConnectedAgain()
    connection.injectPlaintext('x', 1)
    expect(JSON.parse(await client.raw.nextText())).toMatchObject({ event: 'welcome', data: { v: 2 } })
    expect(JSON.parse(await client.raw.nextText())).toEqual({ event: 'x', data: 1 })
  })

  it('v2 faults explain themselves on a v1 connection', async () => {
    const server = servers.create({ protocol: 'v1' })
    const { client } = await RawV2Client.connect(server.url).catch((error: Error) => ({ client: error }))
    expect(client).toBeInstanceOf(Error)
    const connection = server.connections[0]!
    expect(() => connection.dropNextRecord()).toThrow(
      'dropNextRecord() needs a v2 connection (this one speaks v1)',
    )
    expect(() => connection.ignorePings()).toThrow(/needs a v2 connection/)
  })
})
