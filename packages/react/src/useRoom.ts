import {
  getRoomStatus,
  type EncryptedWebSocketClient,
  type EventMap,
  type RoomDenial,
  type RoomStatus,
} from '@encrypted-socket/core'
import { useEffect, useRef } from 'react'
import { useIsomorphicLayoutEffect } from './useIsomorphicLayoutEffect'
import { useClient, type RegisteredEvents } from './context'
import { useSocketSelector } from './useSocketSelector'

export interface UseRoomOptions<Events extends EventMap = RegisteredEvents> {
  client?: EncryptedWebSocketClient<Events>
  /**
   * v2: called when messages of this room were lost while away (its history no longer held
   * them, so the re-join `recovered` nothing): re-fetch what you show from it. The latest
   * callback is called; it need not be memoised.
   */
  onGap?: () => void
  /**
   * Called when the server refuses the room (its `authorizeJoin`), with the reason; the status
   * is then `'denied'` (the reason stays readable with `getRoomDenial`). The latest callback is
   * called; it need not be memoised.
   */
  onDenied?: (denial: RoomDenial) => void
}

/**
 * Keeps this component in `room` while it is mounted (re-joined after reconnects, with what was
 * missed replayed on v2; two components in the same room join it once) and returns `'joined'`
 * (the server let it in), `'joining'`, `'denied'` (the server refused it: not asked for again
 * until the room is joined anew), `'offline'` or `'left'` (see `RoomStatus`). A null room joins nothing.
 *
 * ```tsx
 * const status = useRoom(`desk-${deskId}`, { onGap: () => refetchDesk(deskId) })
 * const denial = useSocketSelector((snapshot) => getRoomDenial(snapshot, `desk-${deskId}`))
 * ```
 */
export function useRoom<Events extends EventMap = RegisteredEvents>(
  room: string | null | undefined,
  options: UseRoomOptions<Events> = {},
): RoomStatus {
  const client = useClient('useRoom', options.client)
  const callbacks = useRef(options)
  useIsomorphicLayoutEffect(() => {
    callbacks.current = options
  })
  useEffect(() => {
    if (!room) return
    const stopGaps = client.onLifecycle('gap', (gap) => {
      if (gap.scope === 'room' && gap.room === room) callbacks.current.onGap?.()
    })
    const stopDenials = client.onLifecycle('denied', (denied) => {
      if (denied.room === room) callbacks.current.onDenied?.(denied.denial)
    })
    return () => {
      stopGaps()
      stopDenials()
    }
  }, [client, room])
  useEffect(() => {
    if (!room) return
    const release = client.joinRoom(room)
    // Released a microtask later, so StrictMode's unmount → remount does not leave and re-join.
    return () => queueMicrotask(release)
  }, [client, room])
  return useSocketSelector((snapshot) => (room ? getRoomStatus(snapshot, room) : 'left'), { client })
}
