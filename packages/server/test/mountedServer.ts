import type { Server as HttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { ClientOptions } from '@encrypted-socket/core'
import { expect } from 'vitest'
import WebSocket, { WebSocketServer } from 'ws'
import { EncryptedSocketServer, type ServerOptions } from '../src/index'
import { client, ECDH_INFO, onCleanup, recordingLogger, SECRET, token } from './helpers'

/** An encrypted-socket server that does not listen (the tests attach it), closed after the test. */
export function socketServer(options: Partial<ServerOptions> = {}) {
  const logger = recordingLogger()
  const server = new EncryptedSocketServer({
    ecdhInfo: ECDH_INFO,
    jwtSecret: SECRET,
    logger,
    demo: true,
    ...options,
  })
  onCleanup(async () => {
    await server.close({ timeout: 500 })
    expect(logger.lines.join('\n')).not.toMatch(/eyJ[\w-]+\.[\w-]+\.[\w-]+/) // no JWT logged
  })
  return Object.assign(server, { logger })
}

/** `http://127.0.0.1:<port>` of a listening server. */
export function origin(server: HttpServer, scheme = 'http'): string {
  return `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** Closes an application's server after the test (its keep-alive sockets too). */
export function closeAfter(server: HttpServer): void {
  onCleanup(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  )
}

/**
 * Another upgrade handler on the same server, for `path` (as Next.js HMR has its own): it
 * accepts the upgrade with a plain WebSocket and says "other" on it.
 */
export function otherUpgradeHandler(server: HttpServer, path: string): void {
  const wss = new WebSocketServer({ noServer: true })
  server.on('upgrade', (request, socket, head) => {
    if (request.url !== path) return
    wss.handleUpgrade(request, socket, head, (ws) => ws.send('other'))
  })
  onCleanup(() => new Promise<void>((resolve) => wss.close(() => resolve())))
}

/** Opens a plain WebSocket and resolves with its first message, or rejects with the HTTP status. */
export function firstMessage(url: string, options: WebSocket.ClientOptions = {}): Promise<string> {
  const socket = new WebSocket(url, options)
  onCleanup(() => socket.terminate())
  return new Promise((resolve, reject) => {
    socket.once('message', (data) => resolve(data.toString()))
    socket.once('unexpected-response', (_request, response) =>
      reject(new Error(`HTTP ${response.statusCode}`)),
    )
    socket.once('error', reject)
  })
}

/** The real core client (`protocol`) connects to `url`, sends `echo` and resolves with the demo's reply. */
export async function echoOver(
  url: string,
  protocol: 'v1' | 'v2',
  WebSocketImpl: ClientOptions['WebSocket'] = WebSocket,
): Promise<unknown> {
  const c = client(url, { protocol, token: await token(`user-${protocol}`), WebSocket: WebSocketImpl })
  const reply = new Promise<unknown>((resolve) => c.on('echo.reply', resolve))
  await c.connect()
  expect(c.getSnapshot().protocol).toBe(protocol)
  await c.send('echo', { from: protocol })
  return reply
}
