import {
  getRoomStatus,
  type EncryptedWebSocketClient,
  type EventMap,
  type RoomDenial,
  type RoomStatus,
} from '@encrypted-socket/core'
import { computed, toValue, watch, type ComputedRef, type MaybeRefOrGetter } from 'vue'
import { injectClient, missingClient, renderingOnServer, type RegisteredEvents } from './context'
import { useClientSnapshot } from './useClientSnapshot'

export interface UseRoomOptions<Events extends EventMap = RegisteredEvents> {
  client?: MaybeRefOrGetter<EncryptedWebSocketClient<Events>>
  /**
   * v2: called when messages of this room were lost while away (its history no longer held
   * them, so the re-join recovered nothing): re-fetch what you show from it.
   */
  onGap?: () => void
  /**
   * Called when the server refuses the room (its `authorizeJoin`), with the reason; the status
   * is then `'denied'` (the reason stays readable with `getRoomDenial`).
   */
  onDenied?: (denial: RoomDenial) => void
}

/**
 * Keeps the scope in `room` (a ref or getter: a new value leaves the old room and joins the new;
 * null joins nothing), re-joined after reconnects (v2: with what was missed replayed) and
 * reference-counted with other holders. Returns `'joined'` (the server let it in), `'joining'`,
 * `'denied'` (the server refused it: not asked for again until the room is joined anew),
 * `'offline'` or `'left'`.
 *
 * ```ts
 * const status = useRoom(() => `desk-${props.deskId}`, { onGap: () => refetchDesk() })
 * ```
 */
export function useRoom<Events extends EventMap = RegisteredEvents>(
  room: MaybeRefOrGetter<string | null | undefined>,
  options: UseRoomOptions<Events> = {},
): ComputedRef<RoomStatus> {
  const injected = options.client ? null : injectClient<Events>()
  if (!options.client && !injected) throw missingClient('useRoom', '{ client }')
  const client = computed(() => toValue(options.client) ?? injected!)
  const server = renderingOnServer()
  watch(
    [client, () => toValue(room)],
    ([current, name], _previous, onCleanup) => {
      if (!name || server) return
      onCleanup(current.joinRoom(name))
      const { onGap, onDenied } = options
      if (onGap) {
        onCleanup(current.onLifecycle('gap', (gap) => gap.scope === 'room' && gap.room === name && onGap()))
      }
      if (onDenied) {
        onCleanup(current.onLifecycle('denied', (denied) => denied.room === name && onDenied(denied.denial)))
      }
    },
    { immediate: true },
  )
  const snapshot = useClientSnapshot(client)
  return computed(() => {
    const name = toValue(room)
    return name ? getRoomStatus(snapshot.value, name) : 'left'
  })
}
