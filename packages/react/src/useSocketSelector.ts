import type { ClientSnapshot, EncryptedWebSocketClient, EventMap } from '@encrypted-socket/core'
import { useSyncExternalStore } from 'react'
import { useClient, type RegisteredEvents } from './context'

/**
 * One value derived from the snapshot; the component re-renders only when it changes
 * (`Object.is`). Return a primitive or a snapshot field, not a new object.
 *
 * ```tsx
 * const online = useSocketSelector((s) => s.state === 'authenticated')
 * ```
 */
export function useSocketSelector<T, Events extends EventMap = RegisteredEvents>(
  selector: (snapshot: ClientSnapshot) => T,
  options: { client?: EncryptedWebSocketClient<Events> } = {},
): T {
  const client = useClient('useSocketSelector', options.client)
  const select = () => selector(client.getSnapshot())
  return useSyncExternalStore(client.subscribe, select, select)
}
