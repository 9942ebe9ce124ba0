import { EncryptedWebSocketClient } from '@encrypted-socket/core'
import { render, screen, waitFor } from '@testing-library/vue'
import { describe, expect, it, vi } from 'vitest'
import { defineComponent, effectScope, h, nextTick, onUpdated, ref } from 'vue'
import { clientOptions, mockServer } from '../test/helpers'
import { createEncryptedSocket } from './plugin'
import { useEncryptedSocket } from './useEncryptedSocket'
import { useSocketEvent } from './useSocketEvent'

describe('useEncryptedSocket in an effectScope', () => {
  it('exposes read-only refs through every state', async () => {
    const server = mockServer()
    const scope = effectScope()
    const socket = scope.run(() =>
      useEncryptedSocket(
        clientOptions(server.url, { autoJoinRooms: ['lobby'], reconnect: { interval: 300, jitter: 'none' } }),
      ),
    )!
    expect(socket.state.value).toBe('connecting')
    expect(socket.rooms.value).toEqual(['lobby'])
    await waitFor(() => expect(socket.state.value).toBe('authenticated'))
    const connection = await server.nextConnection()
    expect(socket.clientId.value).toBe(connection.id)
    expect(socket.userId.value).toBe('user')
    expect(socket.encrypted.value).toBe(true)
    server.rejectAuthentication({ code: 4403 }) // the next attempt, 300 ms after the drop
    connection.drop(1006)
    await waitFor(() => expect(socket.state.value).toBe('reconnecting'))
    expect(socket.nextRetryAt.value).not.toBeNull()
    expect(socket.lastError.value?.code).toBe('ERR_CONNECTION_CLOSED')
    await waitFor(() => expect(socket.state.value).toBe('disconnected'))
    expect(socket.lastError.value?.code).toBe('ERR_REJECTED')
    scope.stop()
  })

  it('leaves no socket when the scope is disposed', async () => {
    const server = mockServer()
    const scope = effectScope()
    const socket = scope.run(() => useEncryptedSocket(clientOptions(server.url)))!
    await waitFor(() => expect(socket.state.value).toBe('authenticated'))
    scope.stop()
    await waitFor(() => expect(server.openConnections()).toHaveLength(0))
    expect(socket.client.value.getState()).toBe('disconnected')
  })

  it('never destroys a client it was given', async () => {
    const server = mockServer()
    const client = new EncryptedWebSocketClient(clientOptions(server.url) as never)
    await client.connect()
    const scope = effectScope()
    const socket = scope.run(() => useEncryptedSocket({ client }))!
    expect(socket.state.value).toBe('authenticated')
    scope.stop()
    expect(client.isConnected()).toBe(true)
    client.destroy()
  })

  it('reconnects when the url ref changes, and uses a changed token at the next attempt', async () => {
    const tokens: string[] = []
    const a = mockServer({ verifyToken: (t) => (tokens.push(`a:${t}`), 'u') })
    const b = mockServer({ verifyToken: (t) => (tokens.push(`b:${t}`), 'u') })
    const url = ref(a.url)
    const token = ref('one')
    const scope = effectScope()
    const socket = scope.run(() =>
      useEncryptedSocket(clientOptions(url, { token, reconnect: { interval: 1, jitter: 'none' } })),
    )!
    await waitFor(() => expect(socket.state.value).toBe('authenticated'))
    token.value = 'two'
    await nextTick()
    expect(a.connections).toHaveLength(1)
    url.value = b.url
    await waitFor(() => expect(b.connections).toHaveLength(1))
    await waitFor(() => expect(socket.state.value).toBe('authenticated'))
    await waitFor(() => expect(a.openConnections()).toHaveLength(0))
    expect(tokens).toEqual(['a:one', 'b:two'])
    scope.stop()
  })

  it('connects only while enabled', async () => {
    const server = mockServer()
    const enabled = ref(false)
    const scope = effectScope()
    const socket = scope.run(() => useEncryptedSocket(clientOptions(server.url, { enabled })))!
    await nextTick()
    expect(server.connections).toHaveLength(0)
    enabled.value = true
    await waitFor(() => expect(socket.state.value).toBe('authenticated'))
    enabled.value = false
    await waitFor(() => expect(socket.state.value).toBe('disconnected'))
    scope.stop()
  })

  it('destroys its own client when the page goes away (pagehide)', async () => {
    const server = mockServer()
    const scope = effectScope()
    const socket = scope.run(() => useEncryptedSocket(clientOptions(server.url)))!
    await waitFor(() => expect(socket.state.value).toBe('authenticated'))
    window.dispatchEvent(new Event('pagehide'))
    await waitFor(() => expect(server.openConnections()).toHaveLength(0))
    scope.stop()
  })

  it('fails clearly without options, client or plugin, and warns once outside a scope', () => {
    expect(() => effectScope().run(() => useEncryptedSocket())).toThrow(
      'useEncryptedSocket needs options, { client }, or app.use(createEncryptedSocket(…)).',
    )
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    const socket = useEncryptedSocket(clientOptions('ws://localhost:1', { enabled: false }))
    useEncryptedSocket(clientOptions('ws://localhost:1', { enabled: false }))
    expect(warn).toHaveBeenCalledTimes(1)
    expect(warn.mock.calls[0]![0]).toContain('outside a component or effectScope')
    socket.client.value.destroy()
  })
})

describe('components and the plugin', () => {
  it('shares one client through the plugin and destroys it on app.unmount', async () => {
    const server = mockServer()
    const plugin = createEncryptedSocket(
      clientOptions(server.url) as Parameters<typeof createEncryptedSocket>[0],
    )
    const Badge = defineComponent({
      props: { id: { type: String, required: true } },
      setup(props) {
        const { state } = useEncryptedSocket()
        return () => h('p', { 'data-testid': props.id }, state.value)
      },
    })
    const App = defineComponent(() => () => [h(Badge, { id: 'a' }), h(Badge, { id: 'b' })])
    const { unmount } = render(App, { global: { plugins: [plugin] } })
    await waitFor(() => expect(screen.getByTestId('a').textContent).toBe('authenticated'))
    expect(screen.getByTestId('b').textContent).toBe('authenticated')
    expect(server.connections).toHaveLength(1)
    unmount()
    await waitFor(() => expect(server.openConnections()).toHaveLength(0))
    expect(plugin.client.getState()).toBe('disconnected')
  })

  it('does not update a component reading only `state` across 1,000 incoming events', async () => {
    const server = mockServer()
    const plugin = createEncryptedSocket(
      clientOptions(server.url) as Parameters<typeof createEncryptedSocket>[0],
    )
    let updates = 0
    let received = 0
    const StateOnly = defineComponent(() => {
      const { state } = useEncryptedSocket()
      useSocketEvent('tick', () => {
        received++
      })
      onUpdated(() => updates++)
      return () => h('p', { 'data-testid': 'state' }, state.value)
    })
    render(StateOnly, { global: { plugins: [plugin] } })
    await waitFor(() => expect(screen.getByTestId('state').textContent).toBe('authenticated'))
    const connection = await server.nextConnection()
    const before = updates
    await connection.sendBurst(1000, 'tick')
    await waitFor(() => expect(received).toBe(1000))
    await nextTick()
    expect(updates).toBe(before)
  })

  it('gives the plugin client a new token without reconnecting it, and follows enabled', async () => {
    const tokens: string[] = []
    const server = mockServer({ verifyToken: (token) => (tokens.push(token), 'u') })
    const token = ref('first')
    const enabled = ref(true)
    const plugin = createEncryptedSocket({ ...clientOptions(server.url), url: server.url, token, enabled })
    const StateOnly = defineComponent(() => {
      const { state } = useEncryptedSocket()
      return () => h('p', { 'data-testid': 'state' }, state.value)
    })
    render(StateOnly, { global: { plugins: [plugin] } })
    await waitFor(() => expect(screen.getByTestId('state').textContent).toBe('authenticated'))
    plugin.client.disconnect() // the app's own choice: a token refresh must not undo it
    token.value = 'second'
    await nextTick()
    expect(plugin.client.getState()).toBe('disconnected')
    enabled.value = false
    await nextTick()
    enabled.value = true
    await waitFor(() => expect(screen.getByTestId('state').textContent).toBe('authenticated'))
    expect(tokens).toEqual(['first', 'second'])
  })

  it('connects the plugin client with the token of the moment: set after creation, or with enabled in one tick', async () => {
    const tokens: string[] = []
    const server = mockServer({ verifyToken: (token) => (tokens.push(token), 'u') })
    const token = ref<string | undefined>('old')
    const enabled = ref(false)
    const plugin = createEncryptedSocket({ ...clientOptions(server.url), url: server.url, token, enabled })
    token.value = 'before install'
    const StateOnly = defineComponent(() => {
      const { state } = useEncryptedSocket()
      return () => h('p', { 'data-testid': 'state' }, state.value)
    })
    render(StateOnly, { global: { plugins: [plugin] } })
    enabled.value = true // changed first…
    token.value = 'fresh' // …then the token, in the same tick
    await waitFor(() => expect(screen.getByTestId('state').textContent).toBe('authenticated'))
    expect(tokens).toEqual(['fresh'])
  })
})

describe('reconnect', () => {
  it('replaces an authenticated connection with a fresh one', async () => {
    const server = mockServer()
    const scope = effectScope()
    const socket = scope.run(() => useEncryptedSocket(clientOptions(server.url)))!
    await waitFor(() => expect(socket.state.value).toBe('authenticated'))
    const first = socket.clientId.value
    await socket.reconnect()
    expect(server.connections).toHaveLength(2)
    expect(socket.state.value).toBe('authenticated')
    expect(socket.clientId.value).not.toBe(first)
    scope.stop()
  })
})
