import {
  createClientOwner,
  type CreateClientOwner,
  type EncryptedWebSocketClient,
  type EventMap,
} from '@encrypted-socket/core'
import type { ReactNode } from 'react'
import { EncryptedSocketContext } from './context'
import { useOwnedClient, type OwnedClientOptions } from './useOwnedClient'

export type EncryptedSocketProviderProps<Events extends EventMap> = {
  children?: ReactNode
} & (
  | { client: EncryptedWebSocketClient<Events>; options?: never }
  | { options: OwnedClientOptions; client?: never }
)

/**
 * Shares one client with every hook below. With `options` the provider creates, connects and (on
 * unmount) destroys it; with `client` it shares yours and leaves its lifecycle to you.
 *
 * ```tsx
 * <EncryptedSocketProvider options={{ url, ecdhInfo, token }}><App /></EncryptedSocketProvider>
 * ```
 */
export function EncryptedSocketProvider<Events extends EventMap>(
  props: EncryptedSocketProviderProps<Events>,
) {
  return renderProvider(createClientOwner, props)
}

/** The provider's body, for the client of an entry point (index.ts: v1 and v2; v2.ts: v2 alone). */
export function renderProvider<Events extends EventMap>(
  createOwner: CreateClientOwner,
  props: EncryptedSocketProviderProps<Events>,
) {
  const owned = useOwnedClient<Events>(createOwner, props.client ? null : props.options)
  const client = props.client ?? owned
  if (!client) throw new Error('<EncryptedSocketProvider> needs `options` or a `client`.')
  return <EncryptedSocketContext.Provider value={client}>{props.children}</EncryptedSocketContext.Provider>
}
