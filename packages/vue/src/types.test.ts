import { EncryptedWebSocketClient, type ConnectionState, type RoomStatus } from '@encrypted-socket/core'
import { describe, expectTypeOf, it } from 'vitest'
import type { ComputedRef } from 'vue'
import { useEncryptedSocket } from './useEncryptedSocket'
import { useRoom } from './useRoom'
import { useSocketEvent } from './useSocketEvent'

interface Events {
  'order.created': { id: string; qty: number }
  'chat.send': { room: string; text: string }
}

// Type-level checks (pnpm typecheck); the composables are never called at runtime here.
describe('types', () => {
  it('types events and payloads from a typed client, and returns read-only refs', () => {
    const client = new EncryptedWebSocketClient<Events>({ url: 'wss://x.example', ecdhInfo: 'i' })
    const check = () => {
      useSocketEvent(
        'order.created',
        (order) => expectTypeOf(order).toEqualTypeOf<{ id: string; qty: number }>(),
        { client },
      )
      // @ts-expect-error: not an event of the map
      useSocketEvent('order.deleted', () => undefined, { client })
      const socket = useEncryptedSocket({ client })
      expectTypeOf(socket.state).toEqualTypeOf<ComputedRef<ConnectionState>>()
      // @ts-expect-error: read-only
      socket.state.value = 'authenticated'
      void socket.send('chat.send', { room: 'a', text: 'b' })
      // @ts-expect-error: wrong payload
      void socket.send('chat.send', { body: 'b' })
      expectTypeOf(useRoom(() => 'lobby', { client })).toEqualTypeOf<ComputedRef<RoomStatus>>()
    }
    expectTypeOf(check).toBeFunction()
  })
})
