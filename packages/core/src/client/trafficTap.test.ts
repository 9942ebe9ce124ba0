import { describe, expect, it } from 'vitest'
import { mockClient, mockServer, PROTOCOLS, TOKEN, until } from '../../test/helpers'
import type { TrafficEntry } from '../types'

describe.each(PROTOCOLS)('onTraffic, the decrypted-traffic tap (%s)', (protocol) => {
  it('shows each application event sent (once written) and received (before the handlers), nothing else', async () => {
    const server = mockServer({ protocol })
    const entries: TrafficEntry[] = []
    const client = mockClient(server.url, {
      onTraffic: (entry) => entries.push(entry),
      autoJoinRooms: ['desk'],
    })
    const order: string[] = []
    client.on('fill', () => order.push('handler'))
    await client.connect()
    const connection = await server.nextConnection()
    await client.send('order.create', { sku: 'A1', qty: 2 })
    await connection.waitForEvents(1)
    expect(entries).toEqual([
      { direction: 'sent', event: 'order.create', data: { sku: 'A1', qty: 2 }, at: expect.any(Number) },
    ])
    await connection.send('fill', { price: 101.5 })
    await until(() => order.length === 1)
    expect(entries.slice(1)).toEqual([
      { direction: 'received', event: 'fill', data: { price: 101.5 }, at: expect.any(Number) },
    ])
    // The handshake, the token, rooms and heartbeats never pass the tap.
    expect(JSON.stringify(entries)).not.toContain(TOKEN)
    expect(entries.map((entry) => entry.event)).toEqual(['order.create', 'fill'])
  })

  it('a tap that throws is logged, and the events still go out and arrive', async () => {
    const server = mockServer({ protocol })
    const client = mockClient(server.url, {
      onTraffic: () => {
        throw new Error('inspector broke')
      },
    })
    const fills: unknown[] = []
    client.on('fill', (data) => fills.push(data))
    await client.connect()
    const connection = await server.nextConnection()
    await client.send('order.create', { sku: 'A1' })
    await connection.send('fill', { price: 1 })
    await until(() => fills.length === 1)
    expect((await connection.waitForEvents(1))[0]).toMatchObject({
      event: 'order.create',
      data: { sku: 'A1' },
    })
    expect(client.logger.lines.filter((line) => line.includes('onTraffic threw'))).toHaveLength(2)
  })
})

it('v2: binary payloads pass the tap as their bytes', async () => {
  const server = mockServer({ protocol: 'v2' })
  const entries: TrafficEntry[] = []
  const client = mockClient(server.url, { onTraffic: (entry) => entries.push(entry) })
  await client.connect()
  const connection = await server.nextConnection()
  await client.send('blob', new Uint8Array([1, 2, 3]))
  await connection.waitForEvents(1)
  expect(entries[0]).toMatchObject({ direction: 'sent', event: 'blob', data: new Uint8Array([1, 2, 3]) })
})
