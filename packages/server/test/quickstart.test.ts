// The quickstart of the READMEs, end to end: `encrypted-socket-server --demo` (no secret) serves
// development tokens on loopback, and two clients on the shared default ecdhInfo chat through it.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { DEFAULT_ECDH_INFO, EncryptedWebSocketClient } from '@encrypted-socket/core'
import { describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { startDevTokenEndpoint } from '../src/devTokens'
import { onCleanup, until } from './helpers'

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url))
const silent = { info() {}, warn() {}, error() {}, debug() {} }

/** Starts the built CLI; resolves with the server and token URLs once it printed both. */
function startCli(args: string[]) {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  onCleanup(() => child.kill('SIGKILL'))
  let output = ''
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const ready = new Promise<{ url: string; tokenUrl: string }>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk
      const url = /listening on (ws:\/\/\S+)/.exec(output)?.[1]
      const tokenUrl = /^dev tokens: (http:\/\/\S+\/token)\?user=<name>/m.exec(output)?.[1]
      if (url && tokenUrl) resolve({ url, tokenUrl })
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    void exited.then((code) => reject(new Error(`exited with ${code}: ${output}`)))
  })
  ready.catch(() => undefined)
  return { child, ready, exited, output: () => output }
}

/** A client as the quickstart snippet makes it: default ecdhInfo, the token from the endpoint. */
function quickstartClient(url: string, tokenUrl: string, user: string) {
  const issued: string[] = []
  const c = new EncryptedWebSocketClient({
    url,
    ecdhInfo: DEFAULT_ECDH_INFO,
    getToken: async () => {
      const { token } = (await (await fetch(`${tokenUrl}?user=${user}`)).json()) as { token: string }
      issued.push(token)
      return token
    },
    autoJoinRooms: ['lobby'],
    WebSocket,
    logger: silent,
  })
  onCleanup(() => c.destroy())
  return { c, issued }
}

describe('quickstart: encrypted-socket-server --demo', () => {
  it('serves dev tokens on loopback, and two clients on DEFAULT_ECDH_INFO chat through the demo handlers', async () => {
    const cli = startCli(['--demo', '--port', '0', '--token-port', '0'])
    const { url, tokenUrl } = await cli.ready
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/)
    expect(tokenUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/token$/)
    expect(cli.output()).toContain('dev secret: random, in memory')
    expect(cli.output()).toContain(`ecdhInfo "${DEFAULT_ECDH_INFO}"`)

    // The endpoint: CORS for any origin, a token for a named user, 400 without one.
    const response = await fetch(`${tokenUrl}?user=ana`)
    expect(response.status).toBe(200)
    expect(response.headers.get('access-control-allow-origin')).toBe('*')
    const { token } = (await response.json()) as { token: string }
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString())
    expect(claims.sub).toBe('ana')
    expect(claims.exp - claims.iat).toBe(3600)
    const missing = await fetch(tokenUrl)
    expect(missing.status).toBe(400)
    expect(missing.headers.get('access-control-allow-origin')).toBe('*')
    expect((await fetch(`${tokenUrl}?user=`)).status).toBe(400)
    expect((await fetch(`${tokenUrl}?user=${encodeURIComponent('a b')}`)).status).toBe(400)

    const ana = quickstartClient(url, tokenUrl, 'ana')
    const ben = quickstartClient(url, tokenUrl, 'ben')
    const inbox: { text: string; from: string }[] = []
    ben.c.on('chat.message', (data) => inbox.push(data as { text: string; from: string }))
    const echoes: unknown[] = []
    ben.c.on('echo.reply', (data) => echoes.push(data))
    await Promise.all([ana.c.connect(), ben.c.connect()])
    expect(ana.c.getUserId()).toBe('ana')
    expect(ben.c.getUserId()).toBe('ben')
    // ben's frames are handled in order: once his echo comes back, his join of the lobby is done.
    await ben.c.send('echo', 'ping')
    await until(() => echoes.length === 1)
    expect(echoes[0]).toBe('ping')
    await ana.c.send('chat.send', { room: 'lobby', text: 'hello from the quickstart' })
    await until(() => inbox.length === 1)
    expect(inbox[0]).toMatchObject({ text: 'hello from the quickstart', from: 'ana' })

    // Only the one dev token line prints a token; none the endpoint issued is in the output.
    for (const issued of [token, ...ana.issued, ...ben.issued]) expect(cli.output()).not.toContain(issued)
    cli.child.kill('SIGTERM')
    expect(await cli.exited).toBe(0)
  })

  it('listens at --port + 1 by default', async () => {
    // A free port whose successor is free too.
    let port = 0
    for (let attempt = 0; attempt < 20 && port === 0; attempt++) {
      const first = await startDevTokenEndpoint({ secret: 'x'.repeat(32), host: '127.0.0.1', port: 0 })
      const next = await startDevTokenEndpoint({
        secret: 'x'.repeat(32),
        host: '127.0.0.1',
        port: first.port + 1,
      }).catch(() => undefined)
      await Promise.all([first.close(), next?.close()])
      if (next && first.port < 65535) port = first.port
    }
    const cli = startCli(['--demo', '--port', String(port)])
    const { url, tokenUrl } = await cli.ready
    expect(url).toBe(`ws://127.0.0.1:${port}`)
    expect(tokenUrl).toBe(`http://127.0.0.1:${port + 1}/token`)
  })

  it('serves no endpoint without --demo, nor with a secret of your own', async () => {
    const plain = startCli(['--port', '0'])
    const secret = startCli(['--demo', '--port', '0', '--jwt-secret', 'a-test-secret-of-at-least-32-bytes!'])
    await until(() => plain.output().includes('development token for user "dev"'))
    await until(() => /listening on ws:/.test(secret.output()))
    for (const cli of [plain, secret]) {
      cli.child.kill('SIGTERM')
      expect(await cli.exited).toBe(0)
      expect(cli.output()).not.toContain('dev tokens:')
    }
  })

  it('refuses to serve the endpoint on a host that is not loopback', async () => {
    for (const host of ['0.0.0.0', '192.168.1.10', '::', 'example.com'])
      await expect(startDevTokenEndpoint({ secret: 'x'.repeat(32), host, port: 0 })).rejects.toThrow(
        /loopback only/,
      )
    // And the CLI never gets that far: beyond loopback it wants a secret of your own.
    const cli = startCli(['--demo', '--host', '0.0.0.0', '--port', '0', '--token-port', '0'])
    expect(await cli.exited).toBe(2)
    expect(cli.output()).not.toContain('dev tokens:')
  })
})
