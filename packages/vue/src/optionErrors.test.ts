import { afterEach, describe, expect, it, vi } from 'vitest'
import { createApp, defineComponent, effectScope, h } from 'vue'
import { createEncryptedSocket } from './plugin'
import { useEncryptedSocket } from './useEncryptedSocket'

afterEach(() => vi.restoreAllMocks())

describe('a refused option lands in lastError instead of throwing', () => {
  it('useEncryptedSocket: ws:// to a remote host → disconnected with ERR_INSECURE_TRANSPORT', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    const scope = effectScope()
    const socket = scope.run(() =>
      useEncryptedSocket({ url: 'ws://chat.example.com/ws', ecdhInfo: 'vue-refused' }),
    )!
    expect(socket.state.value).toBe('disconnected')
    const refused = socket.lastError.value!
    expect(refused.code).toBe('ERR_INSECURE_TRANSPORT')
    await expect(socket.connect()).rejects.toBe(refused)
    await expect(socket.send('chat' as never, 1 as never)).rejects.toBe(refused)
    await expect(socket.reconnect()).rejects.toBe(refused)
    expect(() => socket.joinRooms(['a'])).toThrow(refused)
    expect(error).toHaveBeenCalledTimes(1)
    scope.stop()
  })

  it('the plugin: ERR_INVALID_OPTION shows in the composables of the app', () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined)
    const plugin = createEncryptedSocket({
      url: 'wss://example.com/ws',
      ecdhInfo: 'vue-refused',
      pongTimeout: 0,
    })
    let code: string | undefined
    const app = createApp(
      defineComponent({
        setup() {
          code = useEncryptedSocket().lastError.value?.code
          return () => h('p')
        },
      }),
    )
    app.use(plugin).mount(document.createElement('div'))
    expect(code).toBe('ERR_INVALID_OPTION')
    expect(plugin.client.getState()).toBe('disconnected')
    app.unmount()
  })
})
