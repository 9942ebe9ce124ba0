import { EncryptedWebSocketClient } from '@encrypted-socket/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  createMockEncryptedServer,
  MockWebSocket,
  type MockEncryptedServer,
  type MockServerOptions,
} from './index'

// What a user's test looks like: the published client against the mock server.
const silent = { info() {}, warn() {}, error() {}, debug() {} }
let server: MockEncryptedServer
let client: EncryptedWebSocketClient

afterEach(async () => {
  client.destroy()
  await server.stop()
})

function setup(options: Partial<MockServerOptions> = {}) {
  server = createMockEncryptedServer('ws://localhost:7001', { ecdhInfo: 'app', ...options })
  client = new EncryptedWebSocketClient({
    url: server.url,
    ecdhInfo: 'app',
    token: 'jwt',
    WebSocket: MockWebSocket,
    logger: silent,
  })
}

describe.each(['v1', 'v2'] as const)('createMockEncryptedServer (%s)', (protocol) => {
  it('does the real handshake and records what the client sent, decrypted and raw', async () => {
    setup({ protocol, verifyToken: (token) => (token === 'jwt' ? 'alice' : false) })
    await client.connect()
    const connection = await server.nextConnection()
    await client.send('order.create', { sku: 'A1' })
    await connection.waitForEvents(1)
    expect(client.getUserId()).toBe('alice')
    expect(connection.protocol).toBe(protocol)
    expect(server.received.map(({ event, data }) => ({ event, data }))).toEqual([
      { event: 'order.create', data: { sku: 'A1' } },
    ])
    if (protocol === 'v1') {
      expect(connection.frames[1]).toMatch(/^\{"event":"encrypted"/)
    } else {
      // The hello is the only text frame; the auth and the event are records.
      expect(connection.frames).toHaveLength(1)
      expect(connection.frames[0]).toMatch(/^\{"event":"hello"/)
      expect(connection.records).toHaveLength(2)
      expect(Buffer.concat(connection.records).includes(Buffer.from('A1'))).toBe(false)
    }
  })

  it('answers through onEvent, and pushes encrypted events to the client', async () => {
    setup({ protocol, onEvent: (connection, message) => connection.send('echo.reply', message.data) })
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
    setup({ protocol })
    // v2 pairs the default AUTH_FAILED with close 1008 (and 4401 with TOKEN_EXPIRED): another
    // close code comes after another error code.
    server.rejectAuthentication({ code: 4403, errorCode: 'FORBIDDEN', message: 'Forbidden' })
    await expect(client.connect()).rejects.toMatchObject({ code: 'ERR_REJECTED', closeCode: 4403 })
  })

  it('explains misuse: sending before the handshake', async () => {
    setup({ protocol })
    server.hangHandshake()
    void client.connect().catch(() => undefined)
    await vi.waitFor(() => expect(server.connections[0]?.frames).toHaveLength(1))
    await expect(server.connections[0]!.send('x')).rejects.toThrow(/no session key/)
    expect(() => server.connections[0]!.replayLast()).toThrow(/nothing sent yet/)
  })
})
