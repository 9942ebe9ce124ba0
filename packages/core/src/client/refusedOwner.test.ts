import { afterEach, describe, expect, it, vi } from 'vitest'
import { createClientOwner } from './encryptedWebSocketClient'

afterEach(() => {
  vi.restoreAllMocks()
  vi.unstubAllEnvs()
})

describe('createClientOwner with options the client refuses', () => {
  it('holds a disconnected client whose lastError is the refusal, and never throws', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    const owner = createClientOwner({ url: 'ws://remote.example.com', ecdhInfo: 'owner-refused' })
    const { client } = owner
    const refused = client.getSnapshot().lastError!
    expect(client.getSnapshot()).toMatchObject({
      state: 'disconnected',
      lastError: { code: 'ERR_INSECURE_TRANSPORT' },
    })
    expect(Object.isFrozen(client.getSnapshot())).toBe(true)
    expect(client.getSnapshot()).toBe(client.getSnapshot())
    await expect(client.connect()).rejects.toBe(refused)
    await expect(client.send('x')).rejects.toBe(refused)
    expect(() => client.leaveRooms(['a'])).toThrow(refused)
    const release = owner.hold()
    owner.setEnabled(true)
    owner.setToken('t')
    expect(client.subscribe(() => undefined)).toBeTypeOf('function')
    expect(client.joinRoom('a')).toBeTypeOf('function')
    release()
    expect(client.getState()).toBe('disconnected')
    expect(error).toHaveBeenCalledTimes(1)
    expect(error.mock.calls[0]![0]).toBe(refused)
  })

  // The production build prints nothing: test/productionBuild.test.ts.
  it('prints the same refusal once', () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    createClientOwner({ url: 'wss://example.com', ecdhInfo: 'owner-refused', maxTrackedIvs: 0 })
    createClientOwner({ url: 'wss://example.com', ecdhInfo: 'owner-refused', maxTrackedIvs: 0 })
    expect(error).toHaveBeenCalledTimes(1)
  })

  it('still throws what is not an EncryptedSocketError (a bug, not an option)', () => {
    const options = {
      ecdhInfo: 'owner-refused',
      get url(): string {
        throw new TypeError('boom')
      },
    }
    expect(() => createClientOwner(options)).toThrow(TypeError)
  })
})
