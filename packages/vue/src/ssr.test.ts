// @vitest-environment node
import { describe, expect, it, vi } from 'vitest'
import { createSSRApp, defineComponent, h, nextTick, ref } from 'vue'
import { renderToString } from 'vue/server-renderer'
import { clientOptions, mockServer } from '../test/helpers'
import { createEncryptedSocket } from './plugin'
import { useEncryptedSocket } from './useEncryptedSocket'
import { useRoom } from './useRoom'
import { useSocketEvent } from './useSocketEvent'

describe('server rendering', () => {
  it('renders `disconnected` with no window and opens no socket', async () => {
    expect(typeof window).toBe('undefined')
    const server = mockServer()
    const Page = defineComponent(() => {
      const { state, encrypted } = useEncryptedSocket()
      const room = useRoom('lobby')
      useSocketEvent('x', () => undefined)
      return () => h('p', `${state.value} ${String(encrypted.value)} ${room.value}`)
    })
    const app = createSSRApp(Page).use(
      createEncryptedSocket(clientOptions(server.url) as Parameters<typeof createEncryptedSocket>[0]),
    )
    expect(await renderToString(app)).toBe('<p>disconnected false left</p>')
    const Owned = defineComponent(() => {
      const { state } = useEncryptedSocket(clientOptions(server.url))
      return () => h('p', state.value)
    })
    expect(await renderToString(createSSRApp(Owned))).toBe('<p>disconnected</p>')
    expect(server.connections).toHaveLength(0)
  })

  it('lets a plugin serve many server-rendered apps without holding or watching anything', async () => {
    const server = mockServer()
    const token = ref('first')
    const plugin = createEncryptedSocket({ ...clientOptions(server.url), url: server.url, token })
    const updateToken = vi.spyOn(plugin.client, 'updateToken')
    const Page = defineComponent(() => () => h('p', 'page'))
    for (let i = 0; i < 20; i++) await renderToString(createSSRApp(Page).use(plugin))
    token.value = 'second'
    await nextTick()
    expect(updateToken).not.toHaveBeenCalled()
    expect(server.connections).toHaveLength(0)
  })
})
