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

export * from './commonExports'
