// The quickstart as a new user runs it: @encrypted-socket/core and @encrypted-socket/server packed
// (as published), installed into a fresh npm app, `npx encrypted-socket-server --demo` started
// there, and a script of that app importing the published names chats through it.
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { packTarballs } from '../../../scripts/test/packTarballs'
import { onCleanup } from './helpers'

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx'

/** The app's script: the root README's snippet, for two users, in Node (so `ws` as WebSocket). */
const CHAT = `
import { DEFAULT_ECDH_INFO, EncryptedWebSocketClient } from '@encrypted-socket/core'
import WebSocket from 'ws'

const [url, tokenUrl] = process.argv.slice(2)
const silent = { debug() {}, info() {}, warn() {}, error() {} }
const make = (user) =>
  new EncryptedWebSocketClient({
    url,
    ecdhInfo: DEFAULT_ECDH_INFO,
    getToken: async () => (await (await fetch(tokenUrl + '?user=' + user)).json()).token,
    autoJoinRooms: ['lobby'],
    WebSocket,
    logger: silent,
  })
const ana = make('ana')
const ben = make('ben')
const echoed = new Promise((resolve) => ben.on('echo.reply', resolve))
const received = new Promise((resolve) => ben.on('chat.message', resolve))
await Promise.all([ana.connect(), ben.connect()])
await ben.send('echo', 'ping')
await echoed
await ana.send('chat.send', { room: 'lobby', text: 'hello from a fresh app' })
const message = await received
console.log('received ' + JSON.stringify({ from: message.from, text: message.text }))
ana.destroy()
ben.destroy()
`

describe('quickstart from the packed packages, in a fresh npm app', () => {
  it('npx encrypted-socket-server --demo, then the README snippet on DEFAULT_ECDH_INFO', async () => {
    const app = mkdtempSync(join(tmpdir(), 'es-quickstart-'))
    onCleanup(() => rmSync(app, { recursive: true, force: true }))
    const packed = await packTarballs(['core', 'server'], join(app, 'tarballs'))
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'quickstart-app', private: true, type: 'module' }),
    )
    execFileSync(npm, ['install', '--no-audit', '--no-fund', '--loglevel=error', ...packed, 'ws@8.23.0'], {
      cwd: app,
      stdio: 'pipe',
    })
    writeFileSync(join(app, 'chat.mjs'), CHAT)

    const server = spawn(
      npx,
      ['--no-install', 'encrypted-socket-server', '--demo', '--port', '0', '--token-port', '0'],
      {
        cwd: app,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: process.platform !== 'win32',
      },
    )
    onCleanup(() => {
      // npx runs the CLI as a child: end the whole group it leads.
      try {
        process.kill(-server.pid!, 'SIGKILL')
      } catch {
        server.kill('SIGKILL')
      }
    })
    let output = ''
    const exited = new Promise<number | null>((resolve) => server.once('exit', resolve))
    const { url, tokenUrl } = await new Promise<{ url: string; tokenUrl: string }>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk
        const url = /listening on (ws:\/\/\S+)/.exec(output)?.[1]
        const tokenUrl = /^dev tokens: (http:\/\/\S+\/token)\?user=<name>/m.exec(output)?.[1]
        if (url && tokenUrl) resolve({ url, tokenUrl })
      }
      server.stdout!.on('data', onData)
      server.stderr!.on('data', onData)
      void exited.then((code) => reject(new Error(`exited with ${code}: ${output}`)))
    })
    expect(output).toContain('ecdhInfo "encrypted-socket/v1"')

    const chat = execFileSync(process.execPath, ['chat.mjs', url, tokenUrl], {
      cwd: app,
      encoding: 'utf8',
      timeout: 20_000,
    })
    expect(chat).toContain('received {"from":"ana","text":"hello from a fresh app"}')
  }, 120_000)
})
