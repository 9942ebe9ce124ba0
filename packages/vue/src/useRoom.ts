import {
  getRoomStatus,
  type EncryptedWebSocketClient,
  type EventMap,
  type RoomStatus,
} from '@encrypted-socket/core'
import { computed, toValue, watch, type ComputedRef, type MaybeRefOrGetter } from 'vue'
import { injectClient, missingClient, renderingOnServer, type RegisteredEvents } from './context'
import { useClientSnapshot } from './useClientSnapshot'

/**
 * Keeps the scope in `room` (a ref or getter: a new value leaves the old room and joins the new;
 * null joins nothing), re-joined after reconnects and reference-counted with other holders.
 * Returns `'joined'`, `'joining'` or `'left'`.
 *
 * ```ts
 * const status = useRoom(() => `desk-${props.deskId}`)
 * ```
 */
export function useRoom<Events extends EventMap = RegisteredEvents>(
  room: MaybeRefOrGetter<string | null | undefined>,
  options: { client?: MaybeRefOrGetter<EncryptedWebSocketClient<Events>> } = {},
): ComputedRef<RoomStatus> {
  const injected = options.client ? null : injectClient<Events>()
  if (!options.client && !injected) throw missingClient('useRoom', '{ client }')
  const client = computed(() => toValue(options.client) ?? injected!)
  const server = renderingOnServer()
  watch(
    [client, () => toValue(room)],
    ([current, name], _previous, onCleanup) => {
      if (name && !server) onCleanup(current.joinRoom(name))
    },
    { immediate: true },
  )
  const snapshot = useClientSnapshot(client)
  return computed(() => {
    const name = toValue(room)
    return name ? getRoomStatus(snapshot.value, name) : 'left'
  })
}
