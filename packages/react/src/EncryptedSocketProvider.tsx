import type { EncryptedWebSocketClient, EventMap } from '@encrypted-socket/core'
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
  const owned = useOwnedClient<Events>(props.client ? null : props.options)
  const client = props.client ?? owned
  if (!client) throw new Error('<EncryptedSocketProvider> needs `options` or a `client`.')
  return <EncryptedSocketContext.Provider value={client}>{props.children}</EncryptedSocketContext.Provider>
}
