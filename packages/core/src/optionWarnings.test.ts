import { afterEach, describe, expect, it, vi } from 'vitest'
import { EncryptedWebSocketClient } from './client/encryptedWebSocketClient'
import { closestName, editDistance } from './client/optionWarnings'
import type { Logger } from './types'

const spyLogger = () => ({ info: vi.fn(), warn: vi.fn(), error: vi.fn(), debug: vi.fn() }) satisfies Logger
const make = (extra: Record<string, unknown>, url = 'wss://example.com/ws') => {
  const logger = spyLogger()
  new EncryptedWebSocketClient({ url, ecdhInfo: 'app', logger, ...extra } as never)
  return logger.warn.mock.calls.map(([text]) => String(text))
}

afterEach(() => vi.unstubAllEnvs())

describe('unknown option names (development)', () => {
  it('names the closest option, and warns once per name', () => {
    expect(make({ reconect: {} })).toEqual([
      '[encrypted-socket] Unknown option "reconect" is ignored: did you mean "reconnect"?',
    ])
    expect(make({ reconect: {} })).toEqual([])
  })

  it('checks reconnect.* and outbox.* keys', () => {
    const warnings = make({ reconnect: { maxRetires: 3, interval: 10 }, outbox: { maxsize: 1 } })
    expect(warnings).toEqual([
      '[encrypted-socket] Unknown option "reconnect.maxRetires" is ignored: did you mean "reconnect.maxRetries"?',
      '[encrypted-socket] Unknown option "outbox.maxsize" is ignored: did you mean "outbox.maxSize"?',
    ])
  })

  it('says nothing for valid options, and no guess for a name far from all', () => {
    expect(make({ token: 't', heartbeatInterval: 0, reconnect: { enabled: false } })).toEqual([])
    expect(make({ frobnicate: 1 })).toEqual(['[encrypted-socket] Unknown option "frobnicate" is ignored.'])
  })

  it('edit distance, case-insensitive; a guess only within 2 edits', () => {
    expect(editDistance('reconect', 'reconnect')).toBe(1)
    expect(editDistance('ecdhinfo', 'ecdhInfo')).toBe(0)
    expect(closestName('hearbeatInterval', ['heartbeatInterval', 'handshakeTimeout'])).toBe(
      'heartbeatInterval',
    )
    expect(closestName('xyz', ['url', 'token'])).toBeUndefined()
  })
})

describe('a token in the URL query (development)', () => {
  it.each(['token', 'access_token', 'jwt', 'auth', 'Token'])(
    '?%s= warns without printing the token',
    (name) => {
      const secret = `eyJhbGciOi.${name}.secret`
      const warnings = make({}, `wss://example.com/ws?room=1&${name}=${secret}`)
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toContain(`"${name}="`)
      expect(warnings[0]).toContain('logs')
      expect(warnings[0]).not.toContain(secret)
    },
  )

  // The production build has none of these warnings: test/productionBuild.test.ts.
  it('no warning for other parameters', () => {
    expect(make({}, 'wss://example.com/ws?room=lobby')).toEqual([])
  })
})
