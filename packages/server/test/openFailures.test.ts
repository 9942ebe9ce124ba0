import { isEncryptedSocketError, type WebSocketConstructor } from '@encrypted-socket/core'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { client, onCleanup, startServer, token } from './helpers'

/** `ws` sending the `Origin` a browser on `origin` would send. */
function browserOn(origin: string): WebSocketConstructor {
  return class extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { headers: { origin } })
    }
  } as unknown as WebSocketConstructor
}

/** A plain HTTP server that answers every request, upgrade or not, with `status`. */
async function httpServer(status: number): Promise<string> {
  const server = createServer((_request, response) => response.writeHead(status).end())
  server.on('upgrade', (_request, socket) =>
    socket.end(`HTTP/1.1 ${status} Nope\r\nContent-Length: 0\r\n\r\n`),
  )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onCleanup(() => new Promise((resolve) => server.close(resolve)))
  return `127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** A port that was just free: nothing listens there. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

describe('why a connection never opened (the real client against real sockets)', () => {
  it.each(['v1', 'v2'] as const)(
    '%s: a refused Origin gives ERR_ORIGIN_REFUSED naming the fix, not retried',
    async (protocol) => {
      const server = await startServer({ origins: ['https://app.example'] })
      const c = client(server.url, {
        token: await token('u'),
        protocol,
        WebSocket: browserOn('https://evil.example'),
      })
      const error = await c.connect().catch((caught: unknown) => caught)
      expect(isEncryptedSocketError(error, 'ERR_ORIGIN_REFUSED')).toBe(true)
      expect((error as Error).message).toContain('origins')
      expect(c.getSnapshot()).toMatchObject({ state: 'disconnected', retryCount: 0 })
      expect(server.connections()).toHaveLength(0)
    },
  )

  it('no server at the address: ERR_UNREACHABLE with the cause, and it keeps retrying', async () => {
    const port = await closedPort()
    const c = client(`ws://127.0.0.1:${port}/?token=never-shown`, {
      token: 'a-token-long-enough',
      protocol: 'auto',
    })
    const failed = new Promise<unknown>((resolve) => c.onLifecycle('error', resolve))
    void c.connect().catch(() => undefined)
    const error = await failed
    expect(isEncryptedSocketError(error, 'ERR_UNREACHABLE')).toBe(true)
    expect((error as Error).message).toContain('ECONNREFUSED')
    expect((error as Error).message).not.toContain('never-shown')
    expect(c.getSnapshot().state).toBe('reconnecting')
  })

  it('wss:// to a server without TLS: ERR_TLS, not retried', async () => {
    const server = await startServer()
    const c = client(server.url.replace('ws://', 'wss://'), { token: await token('u'), protocol: 'auto' })
    const error = await c.connect().catch((caught: unknown) => caught)
    expect(isEncryptedSocketError(error, 'ERR_TLS')).toBe(true)
    expect((error as Error).message).toContain('has no TLS')
    expect(c.getSnapshot()).toMatchObject({ state: 'disconnected', retryCount: 0 })
  })

  it('an HTTP answer instead of an upgrade names the status and the path to check', async () => {
    const host = await httpServer(404)
    const c = client(`ws://${host}/wrong-path`, { token: 'a-token-long-enough', protocol: 'auto' })
    const failed = new Promise<unknown>((resolve) => c.onLifecycle('error', resolve))
    void c.connect().catch(() => undefined)
    const error = await failed
    expect(isEncryptedSocketError(error, 'ERR_UNREACHABLE')).toBe(true)
    expect((error as Error).message).toContain('HTTP 404')
    expect((error as Error).message).toContain("URL's path")
  })

  it('a server requiring v2 answers a v1-only client 426: ERR_PROTOCOL_VERSION, not retried', async () => {
    const server = await startServer({ requireV2: true })
    const c = client(server.url, { token: await token('u'), protocol: 'v1' })
    const error = await c.connect().catch((caught: unknown) => caught)
    expect(isEncryptedSocketError(error, 'ERR_PROTOCOL_VERSION')).toBe(true)
    expect(c.getSnapshot()).toMatchObject({ state: 'disconnected', retryCount: 0 })
  })
})
