// `@encrypted-socket/vue/v2`: the same composables and plugin, whose clients speak protocol v2
// alone (`@encrypted-socket/core/v2`), so that an app bundles none of v1. Use one entry point per app.
import { createClientOwner, type EncryptedWebSocketClient, type EventMap } from '@encrypted-socket/core/v2'
import type { RegisteredEvents } from './context'
import { createEncryptedSocketOf, type EncryptedSocketPlugin, type PluginClientOptions } from './plugin'
import { useEncryptedSocketOf, type UseEncryptedSocketReturn } from './useEncryptedSocket'
import type { OwnedClientOptions } from './useOwnedClient'

/** As the root's `createEncryptedSocket`; a client it creates speaks v2 only. */
export function createEncryptedSocket<Events extends EventMap = RegisteredEvents>(
  options: PluginClientOptions | { client: EncryptedWebSocketClient<Events> },
): EncryptedSocketPlugin<Events> {
  return createEncryptedSocketOf(createClientOwner, options)
}

/** As the root's `useEncryptedSocket`; a client it creates speaks v2 only. */
export function useEncryptedSocket<Events extends EventMap = RegisteredEvents>(
  options?: OwnedClientOptions | { client: EncryptedWebSocketClient<Events> },
): UseEncryptedSocketReturn<Events> {
  return useEncryptedSocketOf(createClientOwner, options)
}

export type { EncryptedSocketPlugin, PluginClientOptions } from './plugin'
export type { SnapshotRefs, UseEncryptedSocketReturn } from './useEncryptedSocket'
export { useSocketEvent } from './useSocketEvent'
export { useRoom } from './useRoom'
export type { UseRoomOptions } from './useRoom'
/** Why the server refused a room, from a snapshot (core's, here so an app needs one import). */
export { getRoomDenial } from '@encrypted-socket/core/v2'
export type { RoomDenial, RoomStatus } from '@encrypted-socket/core/v2'
export { encryptedSocketKey } from './context'
export type { Register, RegisteredEvents } from './context'
export type { OwnedClientOptions } from './useOwnedClient'
