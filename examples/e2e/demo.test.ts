// The demo apps in real headless Chromium, talking through the real server.
import { mkdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { build, createServer, preview, type PreviewServer } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDemoServer } from '../demo-server.mjs'
import { coreBundle, launchChromium } from './browser'

/** A JWT's header and payload: `.` never occurs in base64 or hex, so random ciphertext cannot match. */
const JWT = /eyJ[\w-]*\.eyJ/

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

async function open(app: 'react' | 'vue', user: string, extra: Record<string, string> = {}): Promise<Page> {
  const page = await browser.newPage()
  const query = new URLSearchParams({ user, server: backend.url, token: backend.tokenUrl, ...extra })
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
const panel = (page: Page) => page.getByTestId('wire').textContent()
type Frame = (typeof backend.frames)[number]
const framesOf = (connectionId: string): Frame[] =>
  backend.frames.filter((f) => f.connectionId === connectionId)
const eventOf = (frame: Frame) => (JSON.parse(frame.text) as { event: string }).event
/** A record as the panel previews it: its first bytes in hex, in pairs. */
const hexPreview = (frame: Frame) => frame.record!.hex.match(/../g)!.join(' ')
const hex = (text: string) => Buffer.from(text).toString('hex')

describe('the demo apps in Chromium', () => {
  it('React and Vue chat through the real server over protocol v2, with only records on the wire', async () => {
    const react = await open('react', 'ana')
    const vue = await open('vue', 'ben')
    expect(await react.getByTestId('protocol').textContent()).toBe('v2')
    expect(await vue.getByTestId('protocol').textContent()).toBe('v2')
    await expect.poll(() => backend.server.roomMembers('lobby').length).toBe(2)
    await say(react, 'hello from React, déjà vu')
    await expect.poll(() => messages(vue)).toContain('hello from React, déjà vu')
    await say(vue, 'hello from Vue')
    await expect.poll(() => messages(react)).toContain('hello from Vue')
    expect(await react.getByTestId('plain').textContent()).toContain('hello from Vue')

    // The server's log of ana's connection: the welcome and the hello as text, then records only.
    const [ana] = connectionsOf('ana')
    expect(ana!.protocol).toBe(2)
    const frames = framesOf(ana!.id)
    const text = frames.filter((frame) => !frame.record)
    expect(text.map((frame) => [frame.direction, eventOf(frame)])).toEqual([
      ['out', 'welcome'],
      ['in', 'hello'],
    ])
    expect(frames.slice(0, 2)).toEqual(text) // nothing but records after the hello
    for (const frame of frames.slice(2)) {
      expect(frame.text).toBe(`[binary record, ${frame.record!.length} bytes]`)
      expect(frame.record!.hex).toMatch(/^[0-9a-f]{2,48}$/)
    }
    // The panel shows the same: the handshake frames, then the newest records (length and hex).
    await expect
      .poll(async () => (await panel(react))?.includes(hexPreview(framesOf(ana!.id).at(-1)!)))
      .toBe(true)
    const shown = (await panel(react))!
    expect(shown).toMatch(/^← welcome \{"event":"welcome","data":\{"v":2,/)
    expect(shown).toContain('→ hello {"event":"hello"')
    expect(shown).toMatch(/[→←] record, \d+ bytes ([0-9a-f]{2} ){24}…/)
    expect(shown).not.toContain('hello from')
    expect(await react.getByTestId('hint').textContent()).toContain('Protocol v2')
    await react.screenshot({ path: `${SCREENSHOTS}/react-chat.png` })
    await vue.screenshot({ path: `${SCREENSHOTS}/vue-chat.png` })

    const wire = backend.frames.map((frame) => `${frame.text}\n${frame.record?.hex ?? ''}`).join('\n')
    for (const plain of ['hello from', 'déjà']) {
      expect(wire).not.toContain(plain)
      expect(wire).not.toContain(hex(plain))
    }
    // No JWT (header.payload…): v2 sends the token inside record #0. `eyJ` alone can occur in base64.
    expect(wire).not.toMatch(JWT)
    await react.close()
    await vue.close()
  })

  it("mallory is refused ana's private room in both apps (v2 and v1), and sees why", async () => {
    for (const [app, protocol] of [
      ['react', 'auto'],
      ['vue', 'v1'],
    ] as const) {
      const page = await browser.newPage()
      const query = new URLSearchParams({
        user: 'mallory',
        server: backend.url,
        token: backend.tokenUrl,
        room: 'ana-private',
        protocol,
      })
      await page.goto(`${apps[app]}?${query}`)
      await expect.poll(() => page.getByTestId('room').textContent()).toBe('denied')
      expect(await page.getByTestId('room-denied').textContent()).toContain('Only ana may join ana-private')
      const [mallory] = connectionsOf('mallory')
      expect(mallory!.rooms).toEqual([])
      expect(backend.server.roomMembers('ana-private')).toEqual([])
      await page.close()
    }
  })

  it('a v1 client still chats with v2 ones, and its panel shows the v1 frames', async () => {
    const old = await open('react', 'fay', { protocol: 'v1' })
    const vue = await open('vue', 'gus')
    expect(await old.getByTestId('protocol').textContent()).toBe('v1')
    expect(await vue.getByTestId('protocol').textContent()).toBe('v2')
    await say(old, 'from the v1 client')
    await expect.poll(() => messages(vue)).toContain('from the v1 client')
    await say(vue, 'to the v1 client')
    await expect.poll(() => messages(old)).toContain('to the v1 client')

    const [fay] = connectionsOf('fay')
    expect(fay!.protocol).toBe(1)
    const events = framesOf(fay!.id).map(eventOf)
    expect(new Set(events)).toEqual(new Set(['authenticate', 'connected', 'join', 'encrypted']))
    const authenticate = framesOf(fay!.id).find((frame) => eventOf(frame) === 'authenticate')!
    expect(JSON.parse(authenticate.text).data.token).toBe('[token of fay]') // the log blanks tokens
    await expect.poll(() => panel(old)).toContain('← encrypted {"event":"encrypted"')
    const shown = (await panel(old))!
    expect(shown).toMatch(/^→ authenticate \{"event":"authenticate"/)
    expect(shown).not.toMatch(JWT)
    expect(shown).not.toContain('v1 client')
    expect(await old.getByTestId('hint').textContent()).toContain('Protocol v1')
    await old.close()
    await vue.close()
  })

  it('a dropped connection reconnects with a new key, and the message typed offline arrives', async () => {
    const react = await open('react', 'cleo')
    const vue = await open('vue', 'dan')
    const [before] = connectionsOf('dan')
    await vue.getByTestId('offline').click()
    await expect.poll(() => vue.getByTestId('state').textContent()).toContain('reconnecting')
    await say(vue, 'typed while offline') // waits in the outbox: there is no connection to send it on
    // Offline, the client alternates between waiting to retry and a doomed attempt: never authenticated.
    expect(await vue.getByTestId('state').textContent()).toMatch(/reconnecting|connecting/)
    expect(await messages(react)).not.toContain('typed while offline')
    await vue.getByTestId('offline').click()
    await expect.poll(() => vue.getByTestId('state').textContent()).toContain('authenticated')
    await expect.poll(() => messages(react)).toContain('typed while offline')
    // The client public keys of dan's two connections, from their hellos as the server saw them.
    const [after] = connectionsOf('dan')
    expect(after!.id).not.toBe(before!.id)
    const hellos = [before!, after!].map((c) => framesOf(c.id).find((frame) => eventOf(frame) === 'hello')!)
    const keys = hellos.map((frame) => JSON.parse(frame.text).data.clientPublicKey as string)
    expect(keys[0]).not.toBe(keys[1])
    // The panel follows the new connection: its welcome, with the new server key.
    const welcome = framesOf(after!.id).find((frame) => eventOf(frame) === 'welcome')!
    const serverKey = JSON.parse(welcome.text).data.serverPublicKey as string
    await expect.poll(() => panel(vue)).toContain(serverKey.slice(0, 40))
    await react.close()
    await vue.close()
  })

  it('the dev servers of `npm start` serve the chats with their stylesheet', async () => {
    for (const name of ['react-chat', 'vue-chat'] as const) {
      const dev = await createServer({
        root: here(`../${name}`),
        logLevel: 'silent',
        server: { host: '127.0.0.1', port: 0 },
      })
      await dev.listen()
      const page = await browser.newPage()
      try {
        const query = new URLSearchParams({
          user: `dev-${name}`,
          server: backend.url,
          token: backend.tokenUrl,
        })
        await page.goto(`${dev.resolvedUrls!.local[0]}?${query}`)
        await expect.poll(() => page.getByTestId('state').textContent()).toContain('authenticated')
        const style = await page.evaluate(() => getComputedStyle(document.querySelector('main')!).maxWidth)
        expect(style).toBe('760px')
      } finally {
        await page.close()
        await dev.close()
      }
    }
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
    const core = await coreBundle()
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
