import { describe, expect, it, vi } from 'vitest'
import {
  collect,
  ECDH_INFO,
  mockClient,
  mockServer,
  reachState,
  recordingLogger,
  TOKEN,
  until,
  useFakeTime,
} from '../../test/helpers'
import { EncryptedWebSocketClient } from './encryptedWebSocketClient'

describe('snapshot and subscribe', () => {
  it('notifies subscribers on state changes, never per incoming message', async () => {
    const server = mockServer()
    const client = mockClient(server.url)
    const snapshots: unknown[] = []
    client.subscribe(() => snapshots.push(client.getSnapshot()))
    await client.connect()
    const afterConnect = snapshots.length
    const connection = await server.nextConnection()
    const seen = collect(client, 'tick')
    await connection.sendBurst(100, 'tick')
    await vi.waitFor(() => expect(seen).toHaveLength(100))
    expect(snapshots).toHaveLength(afterConnect)
    expect(client.getSnapshot()).toMatchObject({
      state: 'authenticated',
      clientId: connection.id,
      userId: 'user',
      encrypted: true,
      retryCount: 0,
      nextRetryAt: null,
      lastError: null,
    })
    expect(Object.isFrozen(client.getSnapshot())).toBe(true)
  })

  it('passes subscribe and getSnapshot bound, and unsubscribes', async () => {
    const server = mockServer()
    const client = mockClient(server.url)
    const { subscribe, getSnapshot } = client
    const listener = vi.fn()
    const unsubscribe = subscribe(listener)
    await client.connect()
    expect(getSnapshot().state).toBe('authenticated')
    const calls = listener.mock.calls.length
    unsubscribe()
    client.disconnect()
    expect(listener).toHaveBeenCalledTimes(calls)
  })
})

describe('handlers', () => {
  it('on() and onStateChange() return their unsubscribe; off() and offAll() remove handlers', async () => {
    const server = mockServer()
    const client = mockClient(server.url)
    const a = vi.fn()
    const b = vi.fn()
    const c = vi.fn()
    const states = vi.fn()
    const stopA = client.on('x', a)
    client.on('x', b)
    client.on('y', c)
    client.onStateChange(states)()
    await client.connect()
    const connection = await server.nextConnection()
    stopA()
    client.off('x', b)
    await connection.send('x', 1)
    await connection.send('y', 2)
    await vi.waitFor(() => expect(c).toHaveBeenCalledWith(2))
    client.offAll()
    const z = collect(client, 'z') // a sentinel: once it arrives, y = 3 was processed before it
    await connection.send('y', 3)
    await connection.send('z', 5)
    await vi.waitFor(() => expect(z).toEqual([5]))
    expect(a).not.toHaveBeenCalled()
    expect(b).not.toHaveBeenCalled()
    expect(c).toHaveBeenCalledTimes(1)
    expect(states).not.toHaveBeenCalled()
  })

  it('keeps delivering when a handler throws, and logs it', async () => {
    const server = mockServer()
    const client = mockClient(server.url)
    client.on('x', () => {
      throw new Error('handler bug')
    })
    const seen = collect(client, 'x')
    await client.connect()
    const connection = await server.nextConnection()
    await connection.send('x', 1)
    await connection.send('x', 2)
    await vi.waitFor(() => expect(seen).toEqual([1, 2]))
    expect(client.logger.lines.some((line) => line.includes('"x" handler threw'))).toBe(true)
  })
})

describe('disconnect, destroy and stale callbacks', () => {
  it('disconnect() closes with 1000 and stays disconnected', async () => {
    const server = mockServer()
    const client = mockClient(server.url, { reconnect: { interval: 1 } })
    await client.connect()
    const connection = await server.nextConnection()
    client.disconnect()
    expect(client.getState()).toBe('disconnected')
    await until(() => !connection.isOpen)
    expect(connection.closeCode).toBe(1000)
    expect(server.connections).toHaveLength(1)
  })

  it('destroy() during a pending connect() rejects it and leaves no socket open', async () => {
    const server = mockServer()
    const client = mockClient(server.url)
    const connecting = client.connect()
    client.destroy()
    await expect(connecting).rejects.toMatchObject({ code: 'ERR_DESTROYED' })
    expect(client.getState()).toBe('disconnected')
    await until(() => server.openConnections().length === 0)
    await expect(client.connect()).rejects.toMatchObject({ code: 'ERR_DESTROYED' })
  })

  it('destroy() during the handshake leaves no socket open and ignores the late `connected`', async () => {
    const server = mockServer()
    const client = mockClient(server.url)
    const states = vi.fn()
    client.onStateChange(states)
    const connecting = client.connect().catch((e: unknown) => e)
    await reachState(client, 'authenticating')
    client.destroy()
    expect(await connecting).toMatchObject({ code: 'ERR_DESTROYED' })
    await until(() => server.connections.length === 1 && server.openConnections().length === 0)
    expect(client.getState()).toBe('disconnected')
    expect(client.isEncrypted()).toBe(false)
  })

  it('mount → unmount → mount (React StrictMode) ends with exactly one open connection', async () => {
    const server = mockServer()
    const first = mockClient(server.url)
    void first.connect().catch(() => undefined)
    first.destroy()
    const second = mockClient(server.url)
    await second.connect()
    await until(() => server.openConnections().length === 1)
    expect(server.openConnections()[0]!.id).toBe(second.getClientId())
  })

  it('ignores every callback of a socket replaced by a new connect()', async () => {
    const server = mockServer()
    const client = mockClient(server.url)
    void client.connect().catch(() => undefined)
    client.disconnect()
    await client.connect()
    const connection = await server.nextConnection()
    await until(() => server.openConnections().length === 1)
    expect(client.getClientId()).toBe(connection.id)
    expect(client.getState()).toBe('authenticated')
  })

  it('connect() while connecting returns the same attempt', async () => {
    const server = mockServer()
    const client = mockClient(server.url)
    const a = client.connect()
    const b = client.connect()
    expect(b).toBe(a)
    await a
    await expect(client.connect()).resolves.toBeUndefined()
    expect(server.connections).toHaveLength(1)
  })
})

describe('construction and misuse', () => {
  it('refuses ws:// to a non-loopback host unless allowInsecureTransport', () => {
    expect(() => new EncryptedWebSocketClient({ url: 'ws://example.com', ecdhInfo: ECDH_INFO })).toThrow(
      expect.objectContaining({ code: 'ERR_INSECURE_TRANSPORT' }),
    )
    for (const url of ['ws://localhost:1', 'ws://127.0.0.1:1', 'ws://[::1]:1', 'wss://example.com']) {
      expect(new EncryptedWebSocketClient({ url, ecdhInfo: ECDH_INFO }).getState()).toBe('disconnected')
    }
    expect(
      new EncryptedWebSocketClient({
        url: 'ws://example.com',
        ecdhInfo: ECDH_INFO,
        allowInsecureTransport: true,
      }).getState(),
    ).toBe('disconnected')
  })

  it('fails connect() with ERR_NO_WEBSOCKET when there is no WebSocket (Node 20 without `ws`)', async () => {
    const client = new EncryptedWebSocketClient({
      url: 'wss://example.com',
      ecdhInfo: ECDH_INFO,
      token: TOKEN,
      logger: recordingLogger(),
    })
    await expect(client.connect()).rejects.toMatchObject({
      code: 'ERR_NO_WEBSOCKET',
      message: expect.stringContaining('ws'),
    })
    expect(client.getState()).toBe('disconnected')
  })

  it('fails connect() with ERR_TOKEN_UNAVAILABLE, without retrying, when there is no token', async () => {
    const server = mockServer()
    const client = mockClient(server.url, { token: undefined })
    await expect(client.connect()).rejects.toMatchObject({ code: 'ERR_TOKEN_UNAVAILABLE' })
    expect(client.getState()).toBe('disconnected')
    expect(server.connections.length).toBeLessThanOrEqual(1)
  })

  it('retries when getToken() fails, and never puts the token in an error', async () => {
    const server = mockServer()
    let calls = 0
    const client = mockClient(server.url, {
      token: undefined,
      getToken: () => (++calls === 1 ? Promise.reject(new Error('refresh endpoint down')) : TOKEN),
      reconnect: { interval: 1, jitter: 'none' },
    })
    await client.connect()
    expect(calls).toBe(2)
  })

  it('rejects a rejected token without echoing it in the error', async () => {
    const server = mockServer()
    server.rejectAuthentication({ code: 1008, message: `bad token ${TOKEN}` })
    const client = mockClient(server.url)
    const error = await client.connect().catch((e: unknown) => e as Error)
    expect(error).toMatchObject({ code: 'ERR_REJECTED' })
    expect((error as Error).message).not.toContain(TOKEN)
    expect(JSON.stringify(client.getSnapshot().lastError?.message)).not.toContain(TOKEN)
  })
})

describe('listeners that stop the client', () => {
  it('disconnect() from a `reconnecting` listener stops the retries (no socket, no token sent)', async () => {
    useFakeTime()
    const server = mockServer()
    const client = mockClient(server.url, { reconnect: { interval: 1, jitter: 'none' } })
    void client.connect()
    await until(() => client.isConnected())
    client.onLifecycle('reconnecting', () => client.disconnect())
    server.dropAll(1006)
    await until(() => client.getState() === 'disconnected')
    await vi.advanceTimersByTimeAsync(10_000)
    expect(server.connections).toHaveLength(1)
  })

  it('destroy() from an `error` listener stops everything', async () => {
    useFakeTime()
    const server = mockServer()
    const client = mockClient(server.url, { reconnect: { interval: 1, jitter: 'none' } })
    void client.connect()
    await until(() => client.isConnected())
    client.onLifecycle('error', () => client.destroy())
    server.dropAll(1006)
    await until(() => client.getState() === 'disconnected')
    await vi.advanceTimersByTimeAsync(10_000)
    expect(server.connections).toHaveLength(1)
  })

  it('disconnect() from a state listener on `authenticated` leaves no heartbeat running', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    const server = mockServer()
    const client = mockClient(server.url, { heartbeatInterval: 1000 })
    const authenticated = vi.fn()
    client.onLifecycle('authenticated', authenticated)
    client.onStateChange((state) => {
      if (state === 'authenticated') client.disconnect()
    })
    await client.connect().catch(() => undefined)
    expect(vi.getTimerCount()).toBe(0)
    expect(authenticated).not.toHaveBeenCalled()
    expect(client.getState()).toBe('disconnected')
  })

  it('connect() and send() from a listener of the give-up start afresh instead of being rejected with it', async () => {
    const server = mockServer()
    server.rejectAuthentication({ code: 1008 })
    const client = mockClient(server.url)
    const again: { connect?: Promise<void>; send?: Promise<void> } = {}
    client.onStateChange((state) => {
      if (state !== 'disconnected' || again.connect) return
      server.resetHandshake()
      again.connect = client.connect()
      again.send = client.send('hello', 1)
    })
    await expect(client.connect()).rejects.toMatchObject({ code: 'ERR_REJECTED' })
    await expect(again.connect).resolves.toBeUndefined()
    await expect(again.send).resolves.toBeUndefined()
    const connection = server.connections.at(-1)!
    await connection.waitForEvents(1)
    expect(connection.received.map((message) => message.event)).toEqual(['hello'])
  })

  it('send() from an `error` listener while the connection drops waits for the next one', async () => {
    const server = mockServer()
    const client = mockClient(server.url, { reconnect: { interval: 1, jitter: 'none' } })
    await client.connect()
    let sent: Promise<void> | undefined
    client.onLifecycle('error', () => (sent ??= client.send('after.drop', 2)))
    server.dropAll(1006)
    await expect(until(() => sent !== undefined)).resolves.toBeUndefined()
    await expect(sent).resolves.toBeUndefined()
    const connection = server.connections.at(-1)!
    await connection.waitForEvents(1)
    expect(connection.received.map((message) => message.event)).toEqual(['after.drop'])
  })

  it('send(…, { queue: false }) from an `error` listener while the connection drops is refused', async () => {
    const server = mockServer()
    const client = mockClient(server.url, { reconnect: { interval: 1, jitter: 'none' } })
    await client.connect()
    let refused: Promise<unknown> | undefined
    client.onLifecycle('error', () => {
      // Caught at once: the rejection happens inside the listener, before the test awaits it.
      refused ??= client.send('now.or.never', 3, { queue: false }).then(
        () => 'sent',
        (error: unknown) => error,
      )
    })
    server.dropAll(1006)
    await until(() => refused !== undefined)
    expect(await refused).toMatchObject({ code: 'ERR_NOT_CONNECTED' })
  })
})
