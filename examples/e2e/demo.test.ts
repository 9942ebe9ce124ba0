// The demo apps in real headless Chromium, talking through the real server.
import { mkdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { build, preview, type PreviewServer } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDemoServer } from '../demo-server.mjs'
import { launchChromium } from './browser'

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url))
const SCREENSHOTS = here('../../test-results/screenshots')

let backend: Awaited<ReturnType<typeof startDemoServer>>
let browser: Browser
const apps: Record<'react' | 'vue', string> = { react: '', vue: '' }
const previews: PreviewServer[] = []

async function serveApp(name: 'react-chat' | 'vue-chat'): Promise<string> {
  const root = here(`../${name}`)
  const outDir = here(`../../test-results/${name}`)
  await build({ root, logLevel: 'silent', build: { outDir, emptyOutDir: true } })
  const server = await preview({
    root,
    logLevel: 'silent',
    build: { outDir },
    preview: { host: '127.0.0.1', port: 0 },
  })
  previews.push(server)
  return server.resolvedUrls!.local[0]!
}

beforeAll(async () => {
  backend = await startDemoServer({ port: 0, tokenPort: 0 })
  ;[apps.react, apps.vue] = await Promise.all([serveApp('react-chat'), serveApp('vue-chat')])
  browser = await launchChromium()
  mkdirSync(SCREENSHOTS, { recursive: true })
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await Promise.all(previews.map((server) => server.close()))
  await backend?.close()
})

async function open(app: 'react' | 'vue', user: string): Promise<Page> {
  const page = await browser.newPage()
  const query = new URLSearchParams({ user, server: backend.url, token: backend.tokenUrl })
  await page.goto(`${apps[app]}?${query}`)
  await expect.poll(() => page.getByTestId('state').textContent()).toContain('authenticated')
  await expect.poll(() => page.getByTestId('room').textContent()).toBe('joined')
  return page
}

async function say(page: Page, text: string): Promise<void> {
  await page.getByTestId('draft').fill(text)
  await page.getByTestId('draft').press('Enter')
}

const messages = (page: Page) => page.getByTestId('messages').textContent()
const connectionsOf = (user: string) => backend.server.connections().filter((c) => c.userId === user)

describe('the demo apps in Chromium', () => {
  it('React and Vue chat through the real server, with only ciphertext on the wire', async () => {
    const react = await open('react', 'ana')
    const vue = await open('vue', 'ben')
    await expect.poll(() => backend.server.roomMembers('lobby').length).toBe(2)
    await say(react, 'hello from React, déjà vu')
    await expect.poll(() => messages(vue)).toContain('hello from React, déjà vu')
    await say(vue, 'hello from Vue')
    await expect.poll(() => messages(react)).toContain('hello from Vue')
    expect(await react.getByTestId('wire').textContent()).toContain('"event":"encrypted"')
    expect(await react.getByTestId('plain').textContent()).toContain('hello from Vue')
    await react.screenshot({ path: `${SCREENSHOTS}/react-chat.png` })
    await vue.screenshot({ path: `${SCREENSHOTS}/vue-chat.png` })

    const wire = backend.frames.map((frame) => frame.text).join('\n')
    expect(wire).not.toContain('hello from')
    expect(wire).not.toContain('déjà')
    const appFrames = backend.frames.map((frame) => JSON.parse(frame.text).event)
    expect(new Set(appFrames)).toEqual(new Set(['authenticate', 'connected', 'join', 'encrypted']))
    await react.close()
    await vue.close()
  })

  it('a dropped connection reconnects with a new key, and the message typed offline arrives', async () => {
    const react = await open('react', 'cleo')
    const vue = await open('vue', 'dan')
    // The client public keys dan authenticated with, read from the wire at the server.
    const keysOfDan = () =>
      backend.frames
        .filter((frame) => frame.direction === 'in' && frame.text.startsWith('{"event":"authenticate"'))
        .map((frame) => JSON.parse(frame.text).data)
        .filter((data) => data.token === '[token of dan]') // the demo's log blanks tokens
        .map((data) => data.clientPublicKey as string)
    await vue.getByTestId('offline').click()
    await expect.poll(() => vue.getByTestId('state').textContent()).toContain('reconnecting')
    await say(vue, 'typed while offline') // waits in the outbox: there is no connection to send it on
    // Offline, the client alternates between waiting to retry and a doomed attempt: never authenticated.
    expect(await vue.getByTestId('state').textContent()).toMatch(/reconnecting|connecting/)
    expect(await messages(react)).not.toContain('typed while offline')
    await vue.getByTestId('offline').click()
    await expect.poll(() => vue.getByTestId('state').textContent()).toContain('authenticated')
    await expect.poll(() => messages(react)).toContain('typed while offline')
    const keys = keysOfDan()
    expect(keys.length).toBeGreaterThanOrEqual(2)
    expect(new Set(keys).size).toBe(keys.length)
    await react.close()
    await vue.close()
  })

  it('closing the tab closes the socket', async () => {
    const page = await open('react', 'erin')
    expect(connectionsOf('erin')).toHaveLength(1)
    await page.close({ runBeforeUnload: true })
    await expect.poll(() => connectionsOf('erin').length).toBe(0)
  })

  it('reproduces the protocol vectors in Chromium, through its native base64', async () => {
    const page = await browser.newPage()
    await page.goto(apps.react.replace(/\/$/, '') + '/?user=vectors')
    const core = readFileSync(here('../../packages/core/dist/index.js'), 'utf8')
    const vectors = JSON.parse(
      readFileSync(here('../../packages/core/test/vectors/protocol-v1.json'), 'utf8'),
    )
    // A string, so the test runner does not rewrite the browser's dynamic import.
    const result = await page.evaluate(`(async () => {
      const url = URL.createObjectURL(new Blob([${JSON.stringify(core)}], { type: 'text/javascript' }))
      const core = await import(url)
      const matches = []
      for (const v of ${JSON.stringify(vectors.cases)}) {
        const privateKey = await crypto.subtle.importKey('pkcs8', core.decodeBase64(v.clientPrivateKeyPkcs8), { name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits'])
        const key = await core.deriveSessionKey(privateKey, core.decodeBase64(v.serverPublicKey), core.decodeBase64(v.salt), v.ecdhInfo)
        matches.push((await core.sealMessage(key, JSON.parse(v.plaintext), core.decodeBase64(v.iv))).frame === v.frame)
      }
      return { native: typeof Uint8Array.fromBase64 === 'function', matches, strict: core.decodeBase64('AAAA AAA') === undefined }
    })()`)
    expect(result).toEqual({ native: true, matches: [true, true, true], strict: true })
    await page.close()
  })
})
