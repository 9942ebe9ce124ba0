import WebSocket from 'ws'
import { describe, expect, it, vi } from 'vitest'
import { EncryptedWebSocketClient } from '../../src/client/encryptedWebSocketClient'
import type { ClientOptions } from '../../src/types'
import { ECDH_INFO, onCleanup, reachState, recordingLogger, TOKEN, until } from '../helpers'
import { startPeer } from '../peer'

async function peer(options?: { hang?: boolean }) {
  const started = await startPeer(ECDH_INFO, options)
  onCleanup(() => started.stop())
  return started
}

function client(url: string, options: Partial<ClientOptions> = {}) {
  const created = new EncryptedWebSocketClient({
    url,
    ecdhInfo: ECDH_INFO,
    token: TOKEN,
    WebSocket,
    logger: recordingLogger(),
    ...options,
  })
  onCleanup(() => created.destroy())
  return created
}

describe('against a real ws server on 127.0.0.1', () => {
  it('authenticates, round-trips an event, and puts nothing but ciphertext on the wire', async () => {
    const server = await peer()
    const c = client(server.url)
    const replies: unknown[] = []
    c.on('echo.reply', (data) => replies.push(data))
    await c.connect()
    await c.send('echo', { card: '4111 1111 1111 1111' })
    await until(() => replies.length === 1)
    expect(replies).toEqual([{ card: '4111 1111 1111 1111' }])
    const wire = server.connections[0]!.frames
    expect(wire.slice(1).every((frame) => JSON.parse(frame).event === 'encrypted')).toBe(true)
    expect(wire.join('')).not.toContain('4111')
  })

  it('receives 200 encrypted frames written in one burst, complete and in order', async () => {
    const server = await peer()
    const c = client(server.url)
    const ticks: number[] = []
    c.on('tick', (i) => ticks.push(i as number))
    await c.connect()
    await c.send('burst', 200)
    await until(() => ticks.length === 200)
    expect(ticks).toEqual(Array.from({ length: 200 }, (_, i) => i))
  })

  it('carries a 1 MiB payload both ways', async () => {
    const server = await peer()
    const c = client(server.url)
    const text = 'x'.repeat(1024 * 1024)
    const replies: { text: string }[] = []
    c.on('echo.reply', (data) => replies.push(data as { text: string }))
    await c.connect()
    await c.send('echo', { text })
    await until(() => replies.length === 1)
    expect(replies[0]!.text === text).toBe(true)
  })

  it('leaves zero open sockets on the server when destroy() follows connect() at once', async () => {
    const server = await peer()
    for (let i = 0; i < 20; i++) {
      const c = client(server.url)
      const connecting = c.connect().catch((e: unknown) => e)
      c.destroy()
      expect(await connecting).toMatchObject({ code: 'ERR_DESTROYED' })
    }
    await until(() => server.openSockets() === 0)
    expect(server.connections.every((connection) => connection.key === null)).toBe(true)
  })

  it('leaves zero open sockets when destroy() comes during the handshake', async () => {
    const server = await peer({ hang: true })
    const c = client(server.url)
    void c.connect().catch(() => undefined)
    await until(() => server.connections[0]?.frames.length === 1)
    c.destroy()
    await until(() => server.openSockets() === 0)
  })

  it('reconnects after a network cut with fresh keys, the same rooms and the queued sends', async () => {
    const server = await peer()
    const c = client(server.url, { autoJoinRooms: ['lobby'], reconnect: { interval: 10, jitter: 'none' } })
    await c.connect()
    c.joinRooms(['desk'])
    await until(() => server.connections[0]!.rooms.size === 2)
    const reconnecting = reachState(c, 'reconnecting')
    server.terminateAll()
    await reconnecting
    const replies: unknown[] = []
    c.on('echo.reply', (data) => replies.push(data))
    const queued = c.send('echo', 'queued while offline')
    await until(() => c.isConnected())
    await queued
    await until(() => replies.length === 1)
    const [first, second] = server.connections
    expect(second!.clientPublicKey).not.toBe(first!.clientPublicKey)
    expect([...second!.rooms].sort()).toEqual(['desk', 'lobby'])
    expect(replies).toEqual(['queued while offline'])
  })

  it('does not retry a rejected token (no retry storm)', async () => {
    const server = await peer()
    const c = client(server.url, { token: 'bad.token.value', reconnect: { interval: 1 } })
    await expect(c.connect()).rejects.toMatchObject({ code: 'ERR_REJECTED', closeCode: 1008 })
    expect(server.connections).toHaveLength(1)
    await until(() => server.openSockets() === 0)
  })

  it('closes a handshake that never completes and retries', async () => {
    const server = await peer({ hang: true })
    const c = client(server.url, {
      handshakeTimeout: 500, // room for the upgrade to reach the server on a loaded machine
      reconnect: { interval: 10, jitter: 'none', maxRetries: 1 },
    })
    const failure = c.connect().catch((e: unknown) => e)
    expect(await failure).toMatchObject({
      code: 'ERR_RETRIES_EXHAUSTED',
      cause: expect.objectContaining({ code: 'ERR_HANDSHAKE_TIMEOUT' }),
    })
    expect(server.connections).toHaveLength(2)
    await until(() => server.openSockets() === 0)
  })

  it('sends heartbeats on the interval', async () => {
    const server = await peer()
    const c = client(server.url, { heartbeatInterval: 20 })
    await c.connect()
    await vi.waitFor(() => expect(server.connections[0]!.heartbeats).toBeGreaterThanOrEqual(2))
  })
})
