import { describe, expect, it, vi } from 'vitest'
// The two builds as published (npm test builds before it tests): the development one, which Node
// and bundlers get by default, and the production one, for the `production` export condition.
import * as development from '../dist/index.js'
import * as developmentV2 from '../dist/v2.js'

// The production build has no declarations of its own (its exports map gives it the same ones).
const production = (await import('../dist/production/index.js' as string)) as typeof development
const productionV2 = (await import('../dist/production/v2.js' as string)) as typeof developmentV2

const quiet = () => ({ info: vi.fn(), warn: vi.fn(), error: vi.fn(), debug: vi.fn() })
const base = { url: 'wss://example.com/socket', ecdhInfo: 'production-build' }

function refusal(build: typeof development, options: Record<string, unknown>): unknown {
  try {
    new build.EncryptedWebSocketClient({ ...base, ...options } as never)
  } catch (error) {
    return error
  }
  throw new Error('the options were accepted')
}

describe('the production build', () => {
  it('exports the same API as the development build', () => {
    expect(Object.keys(production).sort()).toEqual(Object.keys(development).sort())
  })

  it('keeps the stable code of a refused option and names the option, without the explanation', () => {
    const options = { reconnect: { interval: -1 } }
    expect(refusal(production, options)).toMatchObject({
      code: 'ERR_INVALID_OPTION',
      message: 'Option "reconnect.interval" is invalid.',
    })
    expect(refusal(development, options)).toMatchObject({
      code: 'ERR_INVALID_OPTION',
      message: 'Option "reconnect.interval" must be a number of ms ≥ 0; got -1.',
    })
  })

  it('keeps the checks themselves: ws:// beyond loopback is still refused', () => {
    expect(refusal(production, { url: 'ws://example.com' })).toMatchObject({ code: 'ERR_INSECURE_TRANSPORT' })
  })

  it('has short texts for runtime errors too', async () => {
    const client = new production.EncryptedWebSocketClient(base)
    client.destroy()
    await expect(client.send('order.create', {})).rejects.toMatchObject({
      code: 'ERR_DESTROYED',
      message: 'send("order.create") after destroy().',
    })
  })

  it('gives no development warnings: unknown options, a token in the URL', () => {
    const options = { ...base, url: 'wss://example.com/socket?token=abc', heartbeatIntervall: 1 }
    const prod = quiet()
    new production.EncryptedWebSocketClient({ ...options, logger: prod } as never).destroy()
    expect(prod.warn).not.toHaveBeenCalled()
    const dev = quiet()
    new development.EncryptedWebSocketClient({ ...options, logger: dev } as never).destroy()
    expect(dev.warn).toHaveBeenCalledTimes(2)
  })

  it('does not print a refused owner’s error (the development build does, once)', () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    production.createClientOwner({ ...base, maxTrackedIvs: 0 })
    expect(error).not.toHaveBeenCalled()
    development.createClientOwner({ ...base, maxTrackedIvs: 0 })
    expect(error).toHaveBeenCalledTimes(1)
    error.mockRestore()
  })

  it('recognises the other build’s errors as its own (as two CommonJS entries or package copies must)', () => {
    const error = refusal(production, { reconnect: { interval: -1 } })
    expect(error).toBeInstanceOf(production.EncryptedSocketError)
    expect(error instanceof development.EncryptedSocketError).toBe(true)
    expect(development.isEncryptedSocketError(error, 'ERR_INVALID_OPTION')).toBe(true)
    expect(new Error('x') instanceof development.EncryptedSocketError).toBe(false)
    expect(development.isEncryptedSocketError({ code: 'ERR_INVALID_OPTION' })).toBe(false)
  })

  it('has the v2-only client, which refuses protocol "v1" in short', () => {
    expect(() => new productionV2.EncryptedWebSocketClient({ ...base, protocol: 'v1' })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION', message: 'Option "protocol" must be "v2".' }),
    )
  })
})
