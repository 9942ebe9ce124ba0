// @vitest-environment node
import { describe, expect, it } from 'vitest'
import { createSSRApp, defineComponent, h } from 'vue'
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
})
