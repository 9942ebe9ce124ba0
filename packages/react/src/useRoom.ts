import {
  getRoomStatus,
  type EncryptedWebSocketClient,
  type EventMap,
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
}

/**
 * Keeps this component in `room` while it is mounted (re-joined after reconnects, with what was
 * missed replayed on v2; two components in the same room join it once) and returns `'joined'`,
 * `'joining'`, `'offline'` or `'left'` (see `RoomStatus`). A null room joins nothing.
 *
 * ```tsx
 * const status = useRoom(`desk-${deskId}`, { onGap: () => refetchDesk(deskId) })
 * ```
 */
export function useRoom<Events extends EventMap = RegisteredEvents>(
  room: string | null | undefined,
  options: UseRoomOptions<Events> = {},
): RoomStatus {
  const client = useClient('useRoom', options.client)
  const onGap = useRef(options.onGap)
  useIsomorphicLayoutEffect(() => {
    onGap.current = options.onGap
  })
  useEffect(() => {
    if (!room) return
    return client.onLifecycle('gap', (gap) => {
      if (gap.scope === 'room' && gap.room === room) onGap.current?.()
    })
  }, [client, room])
  useEffect(() => {
    if (!room) return
    const release = client.joinRoom(room)
    // Released a microtask later, so StrictMode's unmount → remount does not leave and re-join.
    return () => queueMicrotask(release)
  }, [client, room])
  return useSocketSelector((snapshot) => (room ? getRoomStatus(snapshot, room) : 'left'), { client })
}
