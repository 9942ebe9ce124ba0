import { WebSocket as MockWebSocket } from 'mock-socket'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { mockClient, mockServer, reachState, until } from '../../test/helpers'

// What the client does, in order: the key pairs it makes (those made through keyPairs.ts: the mock
// server makes its own with the same function) and the sockets it opens.
const log = vi.hoisted(() => [] as string[])
vi.mock('../protocol/handshake', async (original) => {
  const actual = await original<typeof import('../protocol/handshake')>()
  return {
    ...actual,
    createEphemeralKeys: () => {
      if (new Error().stack?.includes('keyPairs.ts')) log.push('keys')
      return actual.createEphemeralKeys()
    },
  }
})

class LoggedWebSocket extends MockWebSocket {
  constructor(url: string | URL, protocols?: string | string[]) {
    super(url, protocols)
    log.push('socket')
  }
}

/** The public key a v2 connection sent in its hello. */
const helloKey = (frames: readonly string[]) =>
  (JSON.parse(frames.find((frame) => frame.includes('"hello"'))!) as { data: { clientPublicKey: string } })
    .data.clientPublicKey

afterEach(() => {
  log.length = 0
  vi.unstubAllGlobals()
})

describe('key pairs made ahead of their connection', () => {
  it('makes the next pair once authenticated: the reconnect opens its socket with it, and no pair serves twice', async () => {
    const server = mockServer({ protocol: 'v2' })
    const client = mockClient(server.url, {
      WebSocket: LoggedWebSocket,
      reconnect: { interval: 1, jitter: 'none' },
    })
    await client.connect()
    const first = await server.nextConnection()
    expect(log).toEqual(['keys', 'socket', 'keys']) // the second pair, made while idle
    first.drop(1006)
    const second = await server.nextConnection()
    await reachState(client, 'authenticated')
    expect(log).toEqual(['keys', 'socket', 'keys', 'socket', 'keys'])
    expect(helloKey(second.frames)).not.toBe(helloKey(first.frames))
  })

  it('in a page, makes the first pair at construction, so connect() opens its socket at once', async () => {
    vi.stubGlobal('document', {})
    const server = mockServer({ protocol: 'v2' })
    const client = mockClient(server.url, { WebSocket: LoggedWebSocket })
    expect(log).toEqual(['keys'])
    await client.connect()
    expect(log).toEqual(['keys', 'socket', 'keys'])
  })

  it('makes the pair of a retry while it waits to retry, after an attempt that failed before authenticating', async () => {
    const server = mockServer({ protocol: 'v2' })
    const client = mockClient(server.url, {
      WebSocket: LoggedWebSocket,
      reconnect: { interval: 200, jitter: 'none' },
    })
    await client.connect()
    const first = await server.nextConnection()
    server.sendBadWelcome('second-welcome') // the next attempt fails in its handshake
    first.drop(1006)
    await until(() => log.filter((entry) => entry === 'socket').length === 2)
    await until(() => client.getSnapshot().retryCount === 1 && client.getSnapshot().nextRetryAt !== null)
    // Waiting to retry: attempt 2 used the pair made after authenticating; attempt 3's is made now.
    expect(log).toEqual(['keys', 'socket', 'keys', 'socket', 'keys'])
    server.resetHandshake()
    await server.nextConnection()
    expect(log.slice(0, 6)).toEqual(['keys', 'socket', 'keys', 'socket', 'keys', 'socket'])
  })
})
