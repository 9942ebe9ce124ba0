import type { EncryptedWebSocketClient, EventMap, EventName } from '@encrypted-socket/core'
import { toValue, watch, type MaybeRefOrGetter } from 'vue'
import { injectClient, missingClient, renderingOnServer, type RegisteredEvents } from './context'

/**
 * Calls `handler` for every decrypted `event` until the scope ends. Follows a client ref (an
 * owned client replaced after a URL change). Messages change no reactive state by themselves.
 *
 * ```ts
 * useSocketEvent('order.created', (order) => orders.value.push(order))
 * ```
 */
export function useSocketEvent<K extends EventName<Events>, Events extends EventMap = RegisteredEvents>(
  event: K,
  handler: (data: Events[K]) => void,
  options: { client?: MaybeRefOrGetter<EncryptedWebSocketClient<Events>> } = {},
): void {
  const injected = options.client ? null : injectClient<Events>()
  if (!options.client && !injected) throw missingClient('useSocketEvent', '{ client }')
  if (renderingOnServer()) return
  watch(
    () => toValue(options.client) ?? injected!,
    (client, _previous, onCleanup) => onCleanup(client.on(event, handler)),
    { immediate: true },
  )
}
