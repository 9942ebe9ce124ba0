import { describe, expect, it } from 'vitest'
import { TOKEN } from '../test/helpers'
import { ConsoleLogger } from './client/defaultLogger'
import { pinServerFingerprint } from './client/pinServer'
import { DEFAULTS, resolveOptions } from './options'
import type { ClientOptions } from './types'

const base: ClientOptions = { url: 'wss://api.example.com/ws', ecdhInfo: 'app-e2e' }

describe('resolveOptions', () => {
  it('fills in the original defaults', () => {
    const resolved = resolveOptions(base)
    expect(resolved.reconnect).toEqual({ ...DEFAULTS.reconnect, shouldReconnect: undefined })
    expect(resolved.reconnect).toMatchObject({
      enabled: true,
      maxRetries: 5,
      interval: 3000,
      backoffMultiplier: 1.5,
      maxInterval: 30_000,
      jitter: 'full',
    })
    expect(resolved.heartbeatInterval).toBe(30_000)
    expect(resolved.handshakeTimeout).toBe(10_000)
    expect(resolved.requireEncryption).toBe(true)
    expect(resolved.autoJoinRooms).toEqual([])
    expect(resolved.logger).toBeInstanceOf(ConsoleLogger) // warn and error only, unless `debug`
    expect(resolved.outbox.maxSize).toBe(1000)
  })

  it.each<[string, Partial<Record<keyof ClientOptions, unknown>>, string]>([
    ['url', { url: 42 }, 'Option "url" must be'],
    ['url', { url: 'not a url' }, 'Option "url" is not a valid URL'],
    ['url', { url: 'https://example.com' }, 'must use wss://'],
    ['ecdhInfo', { ecdhInfo: '' }, 'Option "ecdhInfo" must be a non-empty string'],
    ['reconnect', { reconnect: 'yes' }, 'Option "reconnect" must be an object'],
    [
      'reconnect.maxRetries',
      { reconnect: { maxRetries: -1 } },
      'Option "reconnect.maxRetries" must be an integer ≥ 0, or Infinity; got -1',
    ],
    ['reconnect.interval', { reconnect: { interval: Number.NaN } }, 'Option "reconnect.interval"'],
    [
      'reconnect.backoffMultiplier',
      { reconnect: { backoffMultiplier: 0.5 } },
      'Option "reconnect.backoffMultiplier" must be a number ≥ 1; got 0.5',
    ],
    [
      'reconnect.maxInterval',
      { reconnect: { interval: 5000, maxInterval: 1000 } },
      '≥ reconnect.interval (5000)',
    ],
    ['reconnect.jitter', { reconnect: { jitter: 'half' } }, '"full" or "none"'],
    ['reconnect.shouldReconnect', { reconnect: { shouldReconnect: true } }, 'a function'],
    ['heartbeatInterval', { heartbeatInterval: -5 }, 'Option "heartbeatInterval"'],
    [
      'handshakeTimeout',
      { handshakeTimeout: 0 },
      'Option "handshakeTimeout" must be a number of ms > 0; got 0',
    ],
    ['autoJoinRooms', { autoJoinRooms: ['ok', ''] }, 'Option "autoJoinRooms"'],
    ['logger', { logger: { info() {} } }, 'Option "logger"'],
    ['WebSocket', { WebSocket: 'ws' }, 'Option "WebSocket" must be a WebSocket constructor'],
    ['protocols', { protocols: [1] }, 'Option "protocols"'],
    [
      'requireEncryption',
      { requireEncryption: 'true' },
      'Option "requireEncryption" must be a boolean; got a string',
    ],
    ['outbox.maxSize', { outbox: { maxSize: 1.5 } }, 'Option "outbox.maxSize"'],
    ['maxTrackedIvs', { maxTrackedIvs: 0 }, 'Option "maxTrackedIvs"'],
    ['getToken', { getToken: 'abc' }, 'Option "getToken"'],
    ['serverIdentity', { serverIdentity: 'AAAA' }, 'Option "serverIdentity" must be pinServerKey(…)'],
  ])('names the option and what is allowed: %s', (_name, patch, message) => {
    expect(() => resolveOptions({ ...base, ...patch } as ClientOptions)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION', message: expect.stringContaining(message) }),
    )
  })

  it('refuses a token of the wrong type without describing its value', () => {
    const error = (() => {
      try {
        resolveOptions({ ...base, token: { jwt: TOKEN } as unknown as string })
      } catch (e) {
        return e as Error
      }
    })()
    expect(error).toMatchObject({ code: 'ERR_INVALID_OPTION' })
    expect(error?.message).not.toContain(TOKEN)
  })

  it('refuses options that are not an object', () => {
    expect(() => resolveOptions(undefined as unknown as ClientOptions)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    )
  })
})

describe('resolveOptions reads options by name', () => {
  it('keeps getters and inherited options (a class or Object.create instance)', () => {
    const identity = pinServerFingerprint('ab'.repeat(32))
    const inherited = Object.create({
      ...base,
      serverIdentity: identity,
      heartbeatInterval: 5,
    }) as ClientOptions
    const withGetter = {
      ...base,
      get handshakeTimeout() {
        return 1234
      },
    }
    expect(resolveOptions(inherited)).toMatchObject({
      url: base.url,
      ecdhInfo: base.ecdhInfo,
      serverIdentity: identity,
      heartbeatInterval: 5,
    })
    expect(resolveOptions(withGetter).handshakeTimeout).toBe(1234)
  })

  it('refuses the options that server pinning replaced, pointing to pinServerKey', () => {
    for (const removed of [{ serverKey: 'AAAA' }, { serverKeyFingerprint: 'ab' }]) {
      expect(() => resolveOptions({ ...base, ...removed } as ClientOptions)).toThrow(
        expect.objectContaining({
          code: 'ERR_INVALID_OPTION',
          message: expect.stringContaining('pinServerKey'),
        }),
      )
    }
  })
})
