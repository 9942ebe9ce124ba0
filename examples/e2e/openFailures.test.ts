// Why a connection failed, as a page in real Chromium sees it: the browser gives no detail for a
// socket that never opened, so the client must tell what it can from close codes alone.
import { createEncryptedSocketServer } from '@encrypted-socket/server'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { coreBundle, launchChromium } from './browser'

const SECRET = 'an-e2e-secret-of-at-least-32-bytes!!'

let browser: Browser
let site: Server
let page: Page

/** A loopback page that serves the core bundle as /core.js. */
async function serveSite(): Promise<string> {
  const core = await coreBundle()
  site = createServer((request, response) => {
    if (request.url === '/core.js')
      return response.writeHead(200, { 'content-type': 'text/javascript' }).end(core)
    response
      .writeHead(200, { 'content-type': 'text/html' })
      .end('<!doctype html><title>open failures</title>')
  })
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(site.address() as AddressInfo).port}/`
}

/** The first error the client reports, and its state then, from inside the page. */
function firstError(url: string): Promise<{ code: string; message: string; state: string }> {
  return page.evaluate(`(async () => {
    const { EncryptedWebSocketClient } = await import('/core.js')
    const client = new EncryptedWebSocketClient({ url: ${JSON.stringify(url)}, ecdhInfo: 'e2e/v1', token: 'a-token-that-is-never-valid' })
    // A retried failure is reported as an 'error'; a final one rejects connect().
    const error = await new Promise((resolve) => {
      client.onLifecycle('error', resolve)
      client.connect().catch(resolve)
    })
    const state = client.getSnapshot().state
    client.destroy()
    return { code: error.code, message: error.message, state }
  })()`)
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

beforeAll(async () => {
  const origin = await serveSite()
  browser = await launchChromium()
  page = await browser.newPage()
  await page.goto(origin)
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await new Promise((resolve) => site?.close(resolve))
})

describe('open failures in Chromium', () => {
  it("a server that does not allow the page's Origin: ERR_ORIGIN_REFUSED naming the origin and the option", async () => {
    const server = await createEncryptedSocketServer({
      port: 0,
      jwtSecret: SECRET,
      ecdhInfo: 'e2e/v1',
      origins: ['https://app.example'],
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    })
    try {
      const error = await firstError(server.url)
      expect(error.code).toBe('ERR_ORIGIN_REFUSED')
      expect(error.message).toContain(`(${new URL(page.url()).origin})`)
      expect(error.message).toContain('origins')
      expect(error.state).toBe('disconnected')
      expect(server.connections()).toHaveLength(0)
    } finally {
      await server.close({ timeout: 500 })
    }
  })

  it('nothing listening: ERR_UNREACHABLE naming what to check, and the client keeps retrying', async () => {
    const error = await firstError(`ws://127.0.0.1:${await freePort()}/`)
    expect(error.code).toBe('ERR_UNREACHABLE')
    expect(error.message).toContain('host, port')
    expect(error.state).toBe('reconnecting')
  })
})
