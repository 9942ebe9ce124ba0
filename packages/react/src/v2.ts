// `@encrypted-socket/react/v2`: the same hooks and provider, whose clients speak protocol v2 alone
// (`@encrypted-socket/core/v2`), so that an app bundles none of v1. Use one entry point per app.
import { createClientOwner, type EventMap } from '@encrypted-socket/core/v2'
import { renderProvider, type EncryptedSocketProviderProps } from './EncryptedSocketProvider'
import type { RegisteredEvents } from './context'
import {
  useEncryptedSocketOf,
  type UseEncryptedSocketOptions,
  type UseEncryptedSocketResult,
} from './useEncryptedSocket'

/** As the root's `useEncryptedSocket`; a client it creates speaks v2 only. */
export function useEncryptedSocket<Events extends EventMap = RegisteredEvents>(
  options?: UseEncryptedSocketOptions<Events>,
): UseEncryptedSocketResult<Events> {
  return useEncryptedSocketOf(createClientOwner, options)
}

/** As the root's `EncryptedSocketProvider`; a client it creates speaks v2 only. */
export function EncryptedSocketProvider<Events extends EventMap>(
  props: EncryptedSocketProviderProps<Events>,
) {
  return renderProvider(createClientOwner, props)
}

export * from './commonExports'
