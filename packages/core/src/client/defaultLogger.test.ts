import { MockWebSocket } from '@encrypted-socket/testing'
import { describe, expect, it, vi } from 'vitest'
import { ECDH_INFO, mockServer, onCleanup, recordingLogger, TOKEN } from '../../test/helpers'
import { EncryptedWebSocketClient } from './encryptedWebSocketClient'
import type { ClientOptions } from '../types'

/** A client with the default logger, and what reached the console. */
function consoleClient(url: string, options: Partial<ClientOptions> = {}) {
  const printed = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() }
  for (const level of ['debug', 'info', 'warn', 'error'] as const)
    vi.spyOn(console, level).mockImplementation(printed[level])
  const client = new EncryptedWebSocketClient({
    url,
    ecdhInfo: ECDH_INFO,
    token: TOKEN,
    WebSocket: MockWebSocket,
    ...options,
  })
  onCleanup(() => {
    client.destroy()
    vi.restoreAllMocks()
    const everything = Object.values(printed).flatMap((spy) => spy.mock.calls.flat().map(String))
    expect(everything.join('\n')).not.toContain(TOKEN)
  })
  return { client, printed }
}

const stateLines = (spy: ReturnType<typeof vi.fn>) =>
  spy.mock.calls.filter(([line]) => String(line).includes('→'))

describe('the default logger', () => {
  it('prints no debug lines by default, but warnings still', async () => {
    const server = mockServer()
    const { client, printed } = consoleClient(server.url)
    await client.connect()
    server.rejectAuthentication({ code: 1008 })
    server.dropAll(1006)
    await vi.waitFor(() => expect(printed.warn).toHaveBeenCalled())
    expect(printed.debug).not.toHaveBeenCalled()
    expect(printed.info).not.toHaveBeenCalled()
  })

  it('prints state changes with debug: true', async () => {
    const server = mockServer()
    const { client, printed } = consoleClient(server.url, { debug: true })
    await client.connect()
    expect(stateLines(printed.debug).map(([line]) => line)).toEqual([
      '[encrypted-socket] disconnected → connecting',
      '[encrypted-socket] connecting → authenticating',
      '[encrypted-socket] authenticating → authenticated',
    ])
  })

  it('is switched at run time by setDebug()', async () => {
    const server = mockServer()
    const { client, printed } = consoleClient(server.url)
    client.setDebug(true)
    await client.connect()
    expect(stateLines(printed.debug)).toHaveLength(3)
    client.setDebug(false)
    client.disconnect()
    expect(stateLines(printed.debug)).toHaveLength(3)
  })

  it.each([
    ['turned on by "1"', () => '1', 3],
    ['off for another value', () => '0', 0],
    [
      'off when localStorage throws',
      () => {
        throw new Error('SecurityError')
      },
      0,
    ],
  ])('with localStorage "encrypted-socket:debug": %s', async (_, value, lines) => {
    const server = mockServer()
    const globals = globalThis as { localStorage?: unknown }
    onCleanup(() => delete globals.localStorage)
    const read: string[] = []
    globals.localStorage = { getItem: (key: string) => (read.push(key), value()) }
    const { client, printed } = consoleClient(server.url)
    await client.connect()
    expect(read).toEqual(['encrypted-socket:debug'])
    expect(stateLines(printed.debug)).toHaveLength(lines)
  })

  it('leaves your own logger every level, whatever debug says', async () => {
    const server = mockServer()
    const logger = recordingLogger()
    const client = new EncryptedWebSocketClient({
      url: server.url,
      ecdhInfo: ECDH_INFO,
      token: TOKEN,
      WebSocket: MockWebSocket,
      logger,
    })
    onCleanup(() => client.destroy())
    client.setDebug(false)
    await client.connect()
    expect(logger.lines).toContain('[encrypted-socket] authenticating → authenticated')
  })

  it('validates debug', () => {
    expect(
      () =>
        new EncryptedWebSocketClient({
          url: 'wss://example.com',
          ecdhInfo: ECDH_INFO,
          debug: 'yes' as never,
        }),
    ).toThrow('Option "debug" must be a boolean; got a string.')
  })
})
