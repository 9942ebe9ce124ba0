import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { connect, type Socket } from 'node:net'
import { join } from 'node:path'
import { getRoomDenial, getRoomStatus, pinServerFingerprint, pinServerKey } from '@encrypted-socket/core'
import { describe, expect, it } from 'vitest'
import { client, onCleanup, rawClient, SECRET, token, until } from './helpers'
import { startCli } from './cliProcess'
import { loadServerIdentity } from '../src/index'
import { startRedis } from './redisServer'

describe('encrypted-socket-server CLI', () => {
  it('prints --help and exits 0', async () => {
    const cli = startCli(['--help'])
    expect(await cli.exited).toBe(0)
    expect(cli.output()).toContain('--jwt-secret')
    expect(cli.output()).toContain('ENCRYPTED_SOCKET_PORT')
  })

  it('--generate-identity prints a PEM key and the pinning lines a client can paste', async () => {
    const cli = startCli(['--generate-identity'])
    expect(await cli.exited).toBe(0)
    const output = cli.output()
    expect(output).toContain('-----BEGIN PRIVATE KEY-----')
    const key = /pinServerKey\('([^']+)'\)/.exec(output)?.[1]
    const fingerprint = /pinServerFingerprint\('([^']+)'\)/.exec(output)?.[1]
    expect(() => pinServerKey(key!)).not.toThrow()
    expect(() => pinServerFingerprint(fingerprint!)).not.toThrow()
    // The whole output, saved as the signing key file, loads as the identity it names.
    const identity = await loadServerIdentity(output)
    expect(Buffer.from(identity.publicKey).toString('base64')).toBe(key)
  })

  it('serves the demo on 127.0.0.1 and exits 0 on SIGTERM, closing clients with 1001', async () => {
    const cli = startCli(['--port', '0', '--jwt-secret', SECRET, '--ecdh-info', 'cli-test', '--demo'])
    const url = await cli.url
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/)
    const c = client(url, {
      ecdhInfo: 'cli-test',
      token: await token('cli-user'),
      reconnect: { enabled: false },
    })
    const replies: unknown[] = []
    c.on('echo.reply', (data) => replies.push(data))
    await c.connect()
    await c.send('echo', 'through the CLI')
    await until(() => replies.length === 1)
    cli.child.kill('SIGTERM')
    expect(await cli.exited).toBe(0)
    await until(() => c.getState() === 'disconnected')
    expect(c.getSnapshot().lastError).toMatchObject({ closeCode: 1001 })
    expect(cli.output()).not.toContain(await token('cli-user'))
  })

  it('--demo refuses mallory the room ana-private (the attack replayed through the dev token endpoint)', async () => {
    const cli = startCli(['--port', '0', '--token-port', '0', '--demo'])
    const url = await cli.url
    await until(() => /dev tokens: (http:\/\/\S+)\?user/.test(cli.output()))
    const endpoint = /dev tokens: (http:\/\/\S+)\?user/.exec(cli.output())![1]!
    const tokenOf = async (user: string) =>
      ((await (await fetch(`${endpoint}?user=${user}`)).json()) as { token: string }).token
    for (const protocol of ['v1', 'v2'] as const) {
      const mallory = client(url, {
        ecdhInfo: 'encrypted-socket/v1',
        protocol,
        token: await tokenOf('mallory'),
      })
      mallory.joinRooms(['ana-private', 'mallory-private', 'lobby'])
      await mallory.connect()
      await until(() => getRoomStatus(mallory.getSnapshot(), 'ana-private') === 'denied')
      await until(() => getRoomStatus(mallory.getSnapshot(), 'mallory-private') === 'joined')
      expect(getRoomStatus(mallory.getSnapshot(), 'lobby')).toBe('joined')
    }
    const ana = client(url, { ecdhInfo: 'encrypted-socket/v1', protocol: 'v2', token: await tokenOf('ana') })
    ana.joinRooms(['ana-private'])
    await ana.connect()
    await until(() => getRoomStatus(ana.getSnapshot(), 'ana-private') === 'joined')
  })

  it('--authorize-join loads the hook from a module; a module without one exits 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'authorize-join-'))
    onCleanup(() => rmSync(dir, { recursive: true, force: true }))
    const hook = join(dir, 'rooms.mjs')
    writeFileSync(
      hook,
      "export default (request, room) => room !== 'vault' || { code: 'VAULT', message: 'Closed.' }\n",
    )
    const cli = startCli(['--port', '0', '--jwt-secret', SECRET, '--authorize-join', hook])
    const c = client(await cli.url, {
      protocol: 'v2',
      token: await token('ana'),
      ecdhInfo: 'encrypted-socket/v1',
    })
    c.joinRooms(['vault', 'lobby'])
    await c.connect()
    await until(() => getRoomDenial(c.getSnapshot(), 'vault') !== null)
    expect(getRoomDenial(c.getSnapshot(), 'vault')).toEqual({ code: 'VAULT', message: 'Closed.' })
    expect(cli.output()).not.toContain('no authorizeJoin')
    const empty = join(dir, 'empty.mjs')
    writeFileSync(empty, 'export const nothing = 1\n')
    const refused = startCli(['--port', '0', '--jwt-secret', SECRET, '--authorize-join', empty])
    expect(await refused.exited).toBe(2)
    expect(refused.output()).toContain('exports no authorizeJoin')
  })

  it('--forwarded-for 1 counts the address the proxy appended to X-Forwarded-For', async () => {
    const cli = startCli(['--port', '0', '--jwt-secret', SECRET, '--forwarded-for', '1'])
    const raw = rawClient(await cli.url, { 'x-forwarded-for': '6.6.6.6, 203.0.113.7' })
    await raw.opened
    await until(() => cli.output().includes('"remoteAddress":"203.0.113.7"'))
    expect(cli.output()).not.toContain('6.6.6.6')
    const bad = startCli(['--port', '0', '--jwt-secret', SECRET, '--forwarded-for', 'yes'])
    expect(await bad.exited).toBe(2)
  })

  it('takes its settings from environment variables', async () => {
    const cli = startCli([], {
      ENCRYPTED_SOCKET_PORT: '0',
      ENCRYPTED_SOCKET_JWT_SECRET: SECRET,
      ENCRYPTED_SOCKET_ECDH_INFO: 'from-env',
    })
    const c = client(await cli.url, { ecdhInfo: 'from-env', token: await token('env-user') })
    await c.connect()
    expect(c.getUserId()).toBe('env-user')
  })

  it('makes a random secret and prints a development token when none is given on loopback', async () => {
    const cli = startCli(['--port', '0'])
    const url = await cli.url
    await until(() => /eyJ[\w-]+\.[\w-]+\.[\w-]+/.test(cli.output()))
    const devToken = /eyJ[\w-]+\.[\w-]+\.[\w-]+/.exec(cli.output())![0]
    const c = client(url, { ecdhInfo: 'encrypted-socket/v1', token: devToken })
    await c.connect()
    expect(c.getUserId()).toBe('dev')
  })

  it('refuses to listen beyond loopback without --jwt-secret (exit 2)', async () => {
    const cli = startCli(['--host', '0.0.0.0', '--port', '0'])
    expect(await cli.exited).toBe(2)
    expect(cli.output()).toContain('--jwt-secret-file is required')
  })

  it('refuses a secret under 32 bytes beyond loopback (exit 2), before listening', async () => {
    const cli = startCli(['--host', '0.0.0.0', '--port', '0', '--jwt-secret', 'sixteen-chars-ok'])
    expect(await cli.exited).toBe(2)
    expect(cli.output()).toContain('too short (16 bytes)')
    expect(cli.output()).not.toContain('sixteen-chars-ok')
  })

  it('reads the secret from --jwt-secret-file or its variable, and requires --jwt-issuer and --jwt-audience', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'es-cli-'))
    onCleanup(() => rmSync(dir, { recursive: true, force: true }))
    const file = join(dir, 'secret')
    writeFileSync(file, `${SECRET}\n`)
    const claims = ['--jwt-issuer', 'https://id.example', '--jwt-audience', 'desk']
    const fromFlag = startCli(['--port', '0', '--jwt-secret-file', file, ...claims])
    const fromEnv = startCli(['--port', '0', ...claims], { ENCRYPTED_SOCKET_JWT_SECRET_FILE: file })
    for (const cli of [fromFlag, fromEnv]) {
      const url = await cli.url
      expect(cli.output()).not.toContain('development token') // the secret was found
      const good = client(url, {
        ecdhInfo: 'encrypted-socket/v1',
        token: await token('ana', { issuer: 'https://id.example', audience: 'desk' }),
      })
      await good.connect()
      expect(good.getUserId()).toBe('ana')
      const noAudience = client(url, {
        ecdhInfo: 'encrypted-socket/v1',
        token: await token('ana', { issuer: 'https://id.example' }),
      })
      await expect(noAudience.connect()).rejects.toMatchObject({ code: 'ERR_REJECTED', closeCode: 1008 })
    }
  })

  it('stays up through 100 upgrades with a refused Origin that the client resets at once', async () => {
    const cli = startCli(['--port', '0', '--jwt-secret', SECRET, '--demo'])
    const url = await cli.url
    for (let i = 0; i < 100; i++) {
      const socket = await new Promise<Socket>((resolve) => {
        const opened = connect(Number(new URL(url).port), '127.0.0.1', () => resolve(opened))
        opened.on('error', () => undefined)
      })
      socket.write(
        'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nOrigin: https://evil.example\r\n\r\n',
      )
      socket.resetAndDestroy()
    }
    const c = client(url, { ecdhInfo: 'encrypted-socket/v1', token: await token('ana') })
    await c.connect()
    expect(cli.child.exitCode).toBeNull()
  })

  it("warns at startup that --origin '*' lets any web page connect", async () => {
    const cli = startCli(['--port', '0', '--jwt-secret', SECRET, '--origin', '*'])
    await cli.url
    await until(() => cli.output().includes("origins '*'"))
    expect(cli.output()).toContain('any web page can open connections')
  })

  it('scales out: three instances with --redis share a room', async () => {
    const redis = await startRedis()
    onCleanup(() => redis.stop())
    const urls = await Promise.all(
      [1, 2, 3].map(
        () =>
          startCli([
            '--port',
            '0',
            '--jwt-secret',
            SECRET,
            '--ecdh-info',
            'cli-scale',
            '--demo',
            '--redis',
            redis.url,
          ]).url,
      ),
    )
    const inbox: string[][] = []
    const clients = await Promise.all(
      urls.map(async (url, i) => {
        const c = client(url, {
          ecdhInfo: 'cli-scale',
          token: await token(`user-${i}`),
          autoJoinRooms: ['lobby'],
        })
        const messages: string[] = []
        inbox.push(messages)
        c.on('chat.message', (data) => messages.push((data as { text: string }).text))
        await c.connect()
        return c
      }),
    )
    // Fan-out is ready once a message sent from the first instance reaches the third.
    await until(() => {
      void clients[0]!.send('chat.send', { room: 'lobby', text: 'probe' })
      return inbox[2]!.includes('probe')
    }, 10_000)
    await clients[2]!.send('chat.send', { room: 'lobby', text: 'across instances' })
    await until(() => inbox.every((messages) => messages.includes('across instances')), 5000)
  }, 20_000)
})
