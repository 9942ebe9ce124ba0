import type { EncryptedWebSocketClient, EventMap, EventName } from '@encrypted-socket/core'
import { useEffect, useRef } from 'react'
import { useClient, type RegisteredEvents } from './context'
import { useIsomorphicLayoutEffect } from './useIsomorphicLayoutEffect'

/**
 * Calls `handler` for every decrypted `event`, always the latest handler (no stale closures),
 * and unsubscribes on unmount. Messages never re-render anything by themselves.
 *
 * ```tsx
 * useSocketEvent('order.created', (order) => setOrders((all) => [...all, order]))
 * ```
 */
export function useSocketEvent<K extends EventName<Events>, Events extends EventMap = RegisteredEvents>(
  event: K,
  handler: (data: Events[K]) => void,
  options: { client?: EncryptedWebSocketClient<Events> } = {},
): void {
  const client = useClient('useSocketEvent', options.client)
  const latest = useRef(handler)
  useIsomorphicLayoutEffect(() => {
    latest.current = handler
  })
  useEffect(() => client.on(event, (data) => latest.current(data)), [client, event])
}
