// @vitest-environment node
// Vue runs `immediate` watchers once while rendering on a server and, before 3.5, never calls
// their onCleanup: a plugin client shared by every request must not collect room holds, event
// handlers or snapshot subscriptions there (runs in `vue` and in `vue33`).
import { createEncryptedSocket, useEncryptedSocket, useRoom, useSocketEvent } from '@encrypted-socket/vue'
import { describe, expect, it } from 'vitest'
import { createSSRApp, defineComponent, h } from 'vue'
import { renderToString } from 'vue/server-renderer'
import { clientOptions, mockServer } from './helpers'

describe('server rendering with a shared plugin client', () => {
  it('leaves nothing subscribed on the client after each render', async () => {
    const server = mockServer()
    const plugin = createEncryptedSocket(
      clientOptions(server.url) as Parameters<typeof createEncryptedSocket>[0],
    )
    const client = plugin.client
    let open = 0
    for (const method of ['joinRoom', 'on', 'subscribe'] as const) {
      const original = (client[method] as (...args: unknown[]) => () => void).bind(client)
      ;(client as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
        const undo = original(...args)
        open++
        return () => {
          open--
          undo()
        }
      }
    }
    const Page = defineComponent(() => {
      const { state } = useEncryptedSocket()
      const room = useRoom('lobby')
      useSocketEvent('x', () => undefined)
      return () => h('p', `${state.value} ${room.value}`)
    })
    for (let i = 0; i < 5; i++) {
      expect(await renderToString(createSSRApp(Page).use(plugin))).toBe('<p>disconnected left</p>')
    }
    expect(open).toBe(0)
    expect(client.getSnapshot().rooms).toEqual([])
    expect(server.connections).toHaveLength(0)
  })
})
