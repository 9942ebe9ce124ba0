import { afterEach, describe, expect, it, vi } from 'vitest'
import { effectScope } from 'vue'
import * as root from './index'
import * as v2 from './v2'

// A v2-only client refuses protocol "v1"; the root's accepts it. The client each entry point's
// composable and plugin create tells which kind it is.
const options = {
  url: 'wss://example.com/ws',
  ecdhInfo: 'vue-v2-entry',
  protocol: 'v1',
  enabled: false,
} as const

afterEach(() => vi.restoreAllMocks())

describe('@encrypted-socket/vue/v2', () => {
  it('has the same exports as the root', () => {
    expect(Object.keys(v2).sort()).toEqual(Object.keys(root).sort())
  })

  it.each([
    ['the root', root, undefined],
    ['v2', v2, 'ERR_INVALID_OPTION'],
  ] as const)('%s: useEncryptedSocket and the plugin create that entry’s client', (_, entry, expected) => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined)
    const scope = effectScope()
    const socket = scope.run(() => entry.useEncryptedSocket(options))!
    expect(socket.lastError.value?.code).toBe(expected)
    const plugin = entry.createEncryptedSocket(options)
    expect(plugin.client.getSnapshot().lastError?.code).toBe(expected)
    scope.stop()
  })
})
