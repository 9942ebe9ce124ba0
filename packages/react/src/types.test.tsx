import { EncryptedWebSocketClient, type ClientSnapshot, type RoomStatus } from '@encrypted-socket/core'
import { describe, expectTypeOf, it } from 'vitest'
import { useEncryptedSocket, type UseEncryptedSocketResult } from './useEncryptedSocket'
import { useRoom } from './useRoom'
import { useSocketEvent } from './useSocketEvent'
import { useSocketSelector } from './useSocketSelector'

interface Events {
  'order.created': { id: string; qty: number }
  'chat.send': { room: string; text: string }
}

// Type-level checks (pnpm typecheck); the hooks are never called at runtime here.
describe('types', () => {
  it('types events and payloads from a typed client', () => {
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
      expectTypeOf(socket).toEqualTypeOf<UseEncryptedSocketResult<Events>>()
      expectTypeOf(socket.state).toEqualTypeOf<ClientSnapshot['state']>()
      void socket.send('chat.send', { room: 'a', text: 'b' })
      // @ts-expect-error: wrong payload
      void socket.send('chat.send', { body: 'b' })
      expectTypeOf(useRoom('lobby', { client })).toEqualTypeOf<RoomStatus>()
      expectTypeOf(useSocketSelector((s) => s.retryCount, { client })).toEqualTypeOf<number>()
    }
    expectTypeOf(check).toBeFunction()
  })
})
