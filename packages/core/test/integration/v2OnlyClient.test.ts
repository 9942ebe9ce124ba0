import { describe, expect, it } from 'vitest'
import { EncryptedWebSocketClientV2 } from '../../src/client/v2OnlyClient'
import type { ClientOptions } from '../../src/types'
import { ECDH_INFO, onCleanup, peerClient } from '../helpers'
import { startPeer } from '../peer'
import { startV2Peer } from '../v2Peer'

const client = (url: string, options: Partial<ClientOptions> = {}) =>
  peerClient(url, options, EncryptedWebSocketClientV2)

describe('the v2-only client (@encrypted-socket/core/v2)', () => {
  it('speaks v2 with a v2 server, without being asked to', async () => {
    const server = await startV2Peer({ ecdhInfo: ECDH_INFO })
    onCleanup(() => server.stop())
    const c = client(server.url)
    await c.connect()
    expect(c.getSnapshot()).toMatchObject({ state: 'authenticated', protocol: 'v2', encrypted: true })
  })

  it('never falls back to v1: against a v1 server, ERR_PROTOCOL_VERSION and nothing sent', async () => {
    const v1 = await startPeer(ECDH_INFO)
    onCleanup(() => v1.stop())
    const c = client(v1.url)
    await expect(c.connect()).rejects.toMatchObject({ code: 'ERR_PROTOCOL_VERSION' })
    expect(v1.connections).toHaveLength(1)
    expect(v1.connections[0]!.frames).toEqual([])
  })

  it.each(['v1', 'auto'] as const)(
    'refuses protocol: "%s" with a message that says where v1 is',
    (protocol) => {
      expect(() => client('wss://example.com', { protocol })).toThrow(
        expect.objectContaining({
          code: 'ERR_INVALID_OPTION',
          message: expect.stringContaining('import the client from @encrypted-socket/core'),
        }),
      )
    },
  )

  it('accepts protocol: "v2"', () => {
    expect(client('wss://example.com', { protocol: 'v2' }).getState()).toBe('disconnected')
  })
})
