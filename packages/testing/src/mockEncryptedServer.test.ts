import { EncryptedWebSocketClient } from '@encrypted-socket/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createMockEncryptedServer, MockWebSocket, type MockEncryptedServer } from './index'

// What a user's test looks like: the published client against the mock server.
const silent = { info() {}, warn() {}, error() {}, debug() {} }
let server: MockEncryptedServer
let client: EncryptedWebSocketClient

afterEach(async () => {
  client.destroy()
  await server.stop()
})

function setup(options: Partial<Parameters<typeof createMockEncryptedServer>[1]> = {}) {
  server = createMockEncryptedServer('ws://localhost:7001', { ecdhInfo: 'app', ...options })
  client = new EncryptedWebSocketClient({
    url: server.url,
    ecdhInfo: 'app',
    token: 'jwt',
    WebSocket: MockWebSocket,
    logger: silent,
  })
}

describe('createMockEncryptedServer', () => {
  it('does the real handshake and records what the client sent, decrypted and raw', async () => {
    setup({ verifyToken: (token) => (token === 'jwt' ? 'alice' : false) })
    await client.connect()
    const connection = await server.nextConnection()
    await client.send('order.create', { sku: 'A1' })
    await connection.waitForEvents(1)
    expect(client.getUserId()).toBe('alice')
    expect(server.received.map(({ event, data }) => ({ event, data }))).toEqual([
      { event: 'order.create', data: { sku: 'A1' } },
    ])
    expect(connection.frames[1]).toMatch(/^\{"event":"encrypted"/)
  })

  it('answers through onEvent, and pushes encrypted events to the client', async () => {
    setup({ onEvent: (connection, message) => connection.send('echo.reply', message.data) })
    const replies: unknown[] = []
    client.on('echo.reply', (data) => replies.push(data))
    client.on('news', (data) => replies.push(data))
    await client.connect()
    await client.send('echo', 1)
    await vi.waitFor(() => expect(replies).toEqual([1]))
    await server.broadcast('news', 2)
    await vi.waitFor(() => expect(replies).toEqual([1, 2]))
  })

  it('rejects authentication with the chosen close code', async () => {
    setup()
    server.rejectAuthentication({ code: 4403, message: 'Forbidden' })
    await expect(client.connect()).rejects.toMatchObject({ code: 'ERR_REJECTED', closeCode: 4403 })
  })

  it('explains misuse: sending before the handshake', async () => {
    setup()
    server.hangHandshake()
    void client.connect().catch(() => undefined)
    await vi.waitFor(() => expect(server.connections[0]?.frames).toHaveLength(1))
    await expect(server.connections[0]!.send('x')).rejects.toThrow(/no session key/)
    expect(() => server.connections[0]!.replayLast()).toThrow(/nothing sent yet/)
  })
})
