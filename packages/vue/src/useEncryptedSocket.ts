import {
  SNAPSHOT_FIELDS,
  createClientOwner,
  type ClientSnapshot,
  type EncryptedWebSocketClient,
  type CreateClientOwner,
  type EventMap,
} from '@encrypted-socket/core'
import { computed, shallowRef, type ComputedRef, type ShallowRef } from 'vue'
import { injectClient, missingClient, type RegisteredEvents } from './context'
import { useClientSnapshot } from './useClientSnapshot'
import { useOwnedClient, type OwnedClientOptions } from './useOwnedClient'

/** Every snapshot field as a read-only ref (state, clientId, userId, encrypted, protocol, resumed, retryCount, nextRetryAt, lastError, rooms). */
export type SnapshotRefs = { readonly [K in keyof ClientSnapshot]: ComputedRef<ClientSnapshot[K]> }

export interface UseEncryptedSocketReturn<Events extends EventMap = RegisteredEvents> extends SnapshotRefs {
  /** The whole snapshot, replaced only when something in it changed. */
  snapshot: Readonly<ShallowRef<ClientSnapshot>>
  send: EncryptedWebSocketClient<Events>['send']
  /** v2: a request answered by the server's handler (see the client's `request`). */
  request: EncryptedWebSocketClient<Events>['request']
  joinRooms: EncryptedWebSocketClient<Events>['joinRooms']
  leaveRooms: EncryptedWebSocketClient<Events>['leaveRooms']
  connect: EncryptedWebSocketClient<Events>['connect']
  reconnect: EncryptedWebSocketClient<Events>['reconnect']
  disconnect: EncryptedWebSocketClient<Events>['disconnect']
  /** The client (a new one when an owned client's `url` changes). */
  client: Readonly<ShallowRef<EncryptedWebSocketClient<Events>>>
}

/**
 * The connection as read-only refs. With options it owns a client (connects it while `enabled`,
 * destroys it with the scope); with `{ client }` it uses yours; with nothing, the plugin's.
 *
 * ```ts
 * const { state, send } = useEncryptedSocket({ url, ecdhInfo: 'app-e2e', token })
 * ```
 */
export function useEncryptedSocket<Events extends EventMap = RegisteredEvents>(
  options?: OwnedClientOptions | { client: EncryptedWebSocketClient<Events> },
): UseEncryptedSocketReturn<Events> {
  return useEncryptedSocketOf(createClientOwner, options)
}

/** The composable, for the client of an entry point (index.ts: v1 and v2; v2.ts: v2 alone). */
export function useEncryptedSocketOf<Events extends EventMap>(
  createOwner: CreateClientOwner,
  options?: OwnedClientOptions | { client: EncryptedWebSocketClient<Events> },
): UseEncryptedSocketReturn<Events> {
  const client = options
    ? 'client' in options
      ? shallowRef(options.client)
      : useOwnedClient<Events>(createOwner, options)
    : shallowRef(injectClient<Events>() ?? throwMissing())
  const snapshot = useClientSnapshot(client)
  const fields = Object.fromEntries(
    SNAPSHOT_FIELDS.map((key) => [key, computed(() => snapshot.value[key])]),
  ) as unknown as SnapshotRefs
  return {
    snapshot,
    ...fields,
    send: (event, data, sendOptions) => client.value.send(event, data, sendOptions),
    request: (event, data, requestOptions) => client.value.request(event, data, requestOptions),
    joinRooms: (rooms) => client.value.joinRooms(rooms),
    leaveRooms: (rooms) => client.value.leaveRooms(rooms),
    connect: () => client.value.connect(),
    reconnect: () => client.value.reconnect(),
    disconnect: () => client.value.disconnect(),
    client,
  }
}

function throwMissing(): never {
  throw missingClient('useEncryptedSocket')
}
