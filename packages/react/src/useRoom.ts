import {
  getRoomStatus,
  type EncryptedWebSocketClient,
  type EventMap,
  type RoomStatus,
} from '@encrypted-socket/core'
import { useEffect } from 'react'
import { useClient, type RegisteredEvents } from './context'
import { useSocketSelector } from './useSocketSelector'

/**
 * Keeps this component in `room` while it is mounted (re-joined after reconnects; two components
 * in the same room join it once) and returns `'joined'`, `'joining'`, `'offline'` or `'left'` (see `RoomStatus`). A null room
 * joins nothing.
 *
 * ```tsx
 * const status = useRoom(`desk-${deskId}`)
 * ```
 */
export function useRoom<Events extends EventMap = RegisteredEvents>(
  room: string | null | undefined,
  options: { client?: EncryptedWebSocketClient<Events> } = {},
): RoomStatus {
  const client = useClient('useRoom', options.client)
  useEffect(() => {
    if (!room) return
    const release = client.joinRoom(room)
    // Released a microtask later, so StrictMode's unmount → remount does not leave and re-join.
    return () => queueMicrotask(release)
  }, [client, room])
  return useSocketSelector((snapshot) => (room ? getRoomStatus(snapshot, room) : 'left'), { client })
}
