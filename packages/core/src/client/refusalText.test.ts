import { describe, expect, it } from 'vitest'
import { mockClient, mockServer } from '../../test/helpers'

describe('send() while disconnected says why', () => {
  it('after a rejected token: get a new one, then connect()', async () => {
    const server = mockServer()
    const client = mockClient(server.url)
    server.rejectAuthentication({ code: 1008 })
    await expect(client.connect()).rejects.toMatchObject({ code: 'ERR_REJECTED' })
    const error = await client.send('chat', { text: 'hi' }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'ERR_NOT_CONNECTED' })
    expect((error as Error).message).toContain('the server refused the token (ERR_REJECTED)')
    expect((error as Error).message).not.toContain('call connect() first')
  })

  it('once a later connection was accepted, after disconnect(): call connect() first', async () => {
    const server = mockServer()
    const client = mockClient(server.url)
    server.rejectAuthentication({ code: 1008 })
    await expect(client.connect()).rejects.toMatchObject({ code: 'ERR_REJECTED' })
    server.resetHandshake()
    await client.connect()
    client.disconnect()
    await expect(client.send('chat')).rejects.toThrow('call connect() first')
  })

  it('before any connect(): call connect() first', async () => {
    const client = mockClient(mockServer().url)
    await expect(client.send('chat')).rejects.toThrow('call connect() first')
  })
})
