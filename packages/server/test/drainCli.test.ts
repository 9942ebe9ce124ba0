import { describe, expect, it } from 'vitest'
import { client, SECRET, token, until } from './helpers'
import { startCli } from './cliProcess'

describe('the CLI drains on SIGTERM', () => {
  it('closes v2 clients with 1012 and v1 clients with 1001, and exits 0', async () => {
    const cli = startCli([
      '--port',
      '0',
      '--jwt-secret',
      SECRET,
      '--ecdh-info',
      'cli-drain',
      '--demo',
      '--drain-timeout',
      '5000',
    ])
    const url = await cli.url
    const closes = new Map<string, number>()
    const clients = await Promise.all(
      (['v1', 'v2'] as const).map(async (protocol) => {
        const c = client(url, {
          protocol,
          ecdhInfo: 'cli-drain',
          token: await token(`cli-${protocol}`),
          reconnect: { enabled: false },
        })
        c.onLifecycle('error', (error) => closes.set(protocol, error.closeCode ?? 0))
        await c.connect()
        return c
      }),
    )
    const replies: unknown[] = []
    for (const c of clients) {
      c.on('echo.reply', (data) => replies.push(data))
      await c.send('echo', 'before the drain')
    }
    await until(() => replies.length === 2)
    cli.child.kill('SIGTERM')
    expect(await cli.exited).toBe(0)
    await until(() => closes.size === 2)
    expect(Object.fromEntries(closes)).toEqual({ v1: 1001, v2: 1012 })
    expect(cli.output()).toContain('SIGTERM: draining (up to 5000 ms)')
  })

  it('refuses a --drain-timeout that is not a whole number of ms (exit 2)', async () => {
    const cli = startCli(['--port', '0', '--jwt-secret', SECRET, '--drain-timeout', 'soon'])
    expect(await cli.exited).toBe(2)
    expect(cli.output()).toContain('--drain-timeout must be a whole number of ms')
  })
})
