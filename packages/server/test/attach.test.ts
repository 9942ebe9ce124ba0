import { createServer as createHttpServer, type Server as HttpServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import express from 'express'
import Fastify from 'fastify'
import { generate } from 'selfsigned'
import { describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { rawClient, until } from './helpers'
import {
  closeAfter,
  echoOver,
  firstMessage,
  origin,
  otherUpgradeHandler,
  socketServer,
} from './mountedServer'

/** Listens on a free port of 127.0.0.1. */
function listen(server: HttpServer): Promise<void> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
}

describe('attach() to an Express 5 app', () => {
  it('serves GET /health and the encrypted socket on /ws on one port, v2 and v1', async () => {
    const app = express()
    app.get('/health', (_request, response) => void response.json({ ok: true }))
    const http = createHttpServer(app)
    closeAfter(http)
    const sockets = socketServer()
    sockets.attach(http, { path: '/ws' })
    await listen(http)
    expect(sockets.url).toBe(`${origin(http, 'ws')}/ws`)

    const health = await fetch(`${origin(http)}/health`)
    expect([health.status, await health.json()]).toEqual([200, { ok: true }])
    expect(await echoOver(`${origin(http, 'ws')}/ws`, 'v2')).toEqual({ from: 'v2' })
    expect(await echoOver(`${origin(http, 'ws')}/ws?tenant=a`, 'v1')).toEqual({ from: 'v1' })
    // A plain request to /ws is the app's (Express's 404), not a WebSocket endpoint's 426.
    expect((await fetch(`${origin(http)}/ws`)).status).toBe(404)
  })

  it('leaves upgrades to other paths to their own handler (like Next.js HMR)', async () => {
    const http = createHttpServer(express())
    closeAfter(http)
    const sockets = socketServer()
    sockets.attach(http, { path: '/ws' })
    otherUpgradeHandler(http, '/_next/webpack-hmr')
    await listen(http)
    expect(await firstMessage(`${origin(http, 'ws')}/_next/webpack-hmr`)).toBe('other')
    expect(sockets.connections()).toEqual([])
  })

  it('close() detaches and closes its clients; the app keeps serving', async () => {
    const app = express()
    app.get('/health', (_request, response) => void response.send('ok'))
    const http = createHttpServer(app)
    closeAfter(http)
    const before = http.listenerCount('upgrade')
    const sockets = socketServer()
    sockets.attach(http, { path: '/ws' })
    await listen(http)
    const peer = rawClient(`${origin(http, 'ws')}/ws`)
    await peer.opened
    await sockets.close()
    expect((await peer.closed).code).toBe(1001)
    expect(http.listenerCount('upgrade')).toBe(before)
    expect(http.listening).toBe(true)
    expect(await (await fetch(`${origin(http)}/health`)).text()).toBe('ok')
  })
})

describe('attach() to a Fastify 5 app', () => {
  it('serves GET /health and the encrypted socket on /ws on one port, v2 and v1; other paths are not taken', async () => {
    const app = Fastify()
    app.get('/health', async () => ({ ok: true }))
    const sockets = socketServer()
    sockets.attach(app.server, { path: '/ws' })
    otherUpgradeHandler(app.server, '/other')
    await app.listen({ port: 0, host: '127.0.0.1' })
    closeAfter(app.server)
    const base = origin(app.server, 'ws')

    const health = await fetch(`${origin(app.server)}/health`)
    expect([health.status, await health.json()]).toEqual([200, { ok: true }])
    expect(await echoOver(`${base}/ws`, 'v2')).toEqual({ from: 'v2' })
    expect(await echoOver(`${base}/ws`, 'v1')).toEqual({ from: 'v1' })
    expect(await firstMessage(`${base}/other`)).toBe('other')
    expect(
      sockets
        .connections()
        .map((c) => c.userId)
        .sort(),
    ).toEqual(['user-v1', 'user-v2'])
  })
})

describe('attach() to an HTTPS server', () => {
  it('takes wss:// upgrades on /ws with a self-signed certificate, v2 and v1', async () => {
    const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
      keyType: 'ec',
      curve: 'P-256',
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
    })
    const https = createHttpsServer({ key: pems.private, cert: pems.cert }, (_request, response) =>
      response.end('app'),
    )
    closeAfter(https)
    const sockets = socketServer()
    sockets.attach(https, { path: '/ws' })
    await listen(https)
    const url = `${origin(https, 'wss')}/ws`
    expect(sockets.url).toBe(url)
    // The client trusts this certificate only: the CA goes to `ws`.
    const ca = pems.cert
    class TrustingWebSocket extends WebSocket {
      constructor(address: string | URL, protocols?: string | string[]) {
        super(address, protocols, { ca })
      }
    }
    expect(await echoOver(url, 'v2', TrustingWebSocket)).toEqual({ from: 'v2' })
    expect(await echoOver(url, 'v1', TrustingWebSocket)).toEqual({ from: 'v1' })
    // Without the CA the TLS handshake fails: it really is wss.
    await expect(firstMessage(url)).rejects.toThrow(/self-signed|certificate/)
  })
})

describe('handleUpgrade() for a framework that routes upgrades itself', () => {
  it('accepts a routed upgrade, and runs the same checks: Origin, requireV2, closing', async () => {
    const http = createHttpServer((_request, response) => response.end('app'))
    closeAfter(http)
    const sockets = socketServer({ requireV2: true })
    http.on('upgrade', (request, socket, head) => {
      if (request.url === '/socket') sockets.handleUpgrade(request, socket, head)
    })
    await listen(http)
    const url = `${origin(http, 'ws')}/socket`
    expect(await echoOver(url, 'v2')).toEqual({ from: 'v2' })

    const foreign = rawClient(url, { origin: 'https://evil.example' })
    expect((await foreign.closed).code).toBe(4430)
    await expect(rawClient(url).opened).rejects.toThrow('HTTP 426') // v1 only: requireV2
    await until(() => sockets.connections().length === 1)

    const closing = sockets.close()
    await expect(rawClient(url).opened).rejects.toThrow('HTTP 503')
    await closing
  })
})
