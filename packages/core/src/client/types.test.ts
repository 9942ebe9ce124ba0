import { describe, expectTypeOf, it } from 'vitest'
import WebSocket from 'ws'
import { MockWebSocket } from '@encrypted-socket/testing'
import type { ClientSnapshot, WebSocketConstructor } from '../types'
import { EncryptedWebSocketClient } from './encryptedWebSocketClient'

// Type-level tests: `pnpm typecheck` fails if these stop holding; the runtime part is trivial.
interface Order {
  id: string
  qty: number
}
interface AppEvents {
  'order.created': Order
  'chat.message': { text: string }
}

describe('types', () => {
  it('types handlers and sends by the event map, and accepts interfaces', () => {
    const client = new EncryptedWebSocketClient<AppEvents>({ url: 'wss://x.example', ecdhInfo: 'i' })
    client.on('order.created', (order) => expectTypeOf(order).toEqualTypeOf<Order>())
    // @ts-expect-error: not an event of the map
    client.on('order.deleted', () => undefined)
    void client.send('chat.message', { text: 'hi' }).catch(() => undefined)
    // @ts-expect-error: wrong payload
    void client.send('chat.message', { body: 'hi' }).catch(() => undefined)
    expectTypeOf(client.getSnapshot()).toEqualTypeOf<ClientSnapshot>()
    expectTypeOf(client.on('chat.message', () => undefined)).toEqualTypeOf<() => void>()
  })

  it('accepts the DOM WebSocket, ws and mock-socket as the WebSocket option', () => {
    expectTypeOf(WebSocket).toMatchTypeOf<WebSocketConstructor>()
    expectTypeOf(MockWebSocket).toMatchTypeOf<WebSocketConstructor>()
    expectTypeOf(globalThis.WebSocket).toMatchTypeOf<WebSocketConstructor>()
  })
})
