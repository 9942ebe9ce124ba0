import {
  createClientOwner,
  type ClientSnapshot,
  type EncryptedWebSocketClient,
  type CreateClientOwner,
  type EventMap,
} from '@encrypted-socket/core'
import { useContext, useMemo } from 'react'
import { EncryptedSocketContext, type RegisteredEvents } from './context'
import { useOwnedClient, type OwnedClientOptions } from './useOwnedClient'
import { useTrackedSnapshot } from './useTrackedSnapshot'

/** Options to create and own a client, or `{ client }` to use one you made. */
export type UseEncryptedSocketOptions<Events extends EventMap = RegisteredEvents> =
  OwnedClientOptions | { client: EncryptedWebSocketClient<Events> }

export interface UseEncryptedSocketResult<Events extends EventMap = RegisteredEvents> extends ClientSnapshot {
  send: EncryptedWebSocketClient<Events>['send']
  /** v2: a request answered by the server's handler (see the client's `request`). */
  request: EncryptedWebSocketClient<Events>['request']
  joinRooms: EncryptedWebSocketClient<Events>['joinRooms']
  leaveRooms: EncryptedWebSocketClient<Events>['leaveRooms']
  connect: EncryptedWebSocketClient<Events>['connect']
  reconnect: EncryptedWebSocketClient<Events>['reconnect']
  disconnect: EncryptedWebSocketClient<Events>['disconnect']
  client: EncryptedWebSocketClient<Events>
}

/**
 * The connection's state and actions. With options it creates, connects and (on unmount)
 * destroys its own client; with `{ client }` it uses yours and never destroys it; with nothing it
 * uses the `<EncryptedSocketProvider>`'s. Re-renders only when a field it read changes.
 *
 * ```tsx
 * const { state, send } = useEncryptedSocket({ url, ecdhInfo, token })
 * ```
 */
export function useEncryptedSocket<Events extends EventMap = RegisteredEvents>(
  options?: UseEncryptedSocketOptions<Events>,
): UseEncryptedSocketResult<Events> {
  return useEncryptedSocketOf(createClientOwner, options)
}

/** The hook, for the client of an entry point (index.ts: v1 and v2; v2.ts: v2 alone). */
export function useEncryptedSocketOf<Events extends EventMap>(
  createOwner: CreateClientOwner,
  options?: UseEncryptedSocketOptions<Events>,
): UseEncryptedSocketResult<Events> {
  const given = options && 'client' in options ? options.client : undefined
  const owned = useOwnedClient<Events>(createOwner, options && !('client' in options) ? options : null)
  const provided = useContext(EncryptedSocketContext) as EncryptedWebSocketClient<Events> | null
  const client = given ?? owned ?? provided
  if (!client) {
    throw new Error('useEncryptedSocket needs options, { client }, or an <EncryptedSocketProvider> above it.')
  }
  const actions = useMemo(
    () => ({
      send: client.send.bind(client) as EncryptedWebSocketClient<Events>['send'],
      request: client.request.bind(client) as EncryptedWebSocketClient<Events>['request'],
      joinRooms: client.joinRooms.bind(client),
      leaveRooms: client.leaveRooms.bind(client),
      connect: client.connect.bind(client),
      reconnect: client.reconnect.bind(client),
      disconnect: client.disconnect.bind(client),
      client,
    }),
    [client],
  )
  return useTrackedSnapshot(client, actions)
}
