import type { EncryptedWebSocketClient, EventMap, UnknownEvents } from '@encrypted-socket/core'
import { createContext, useContext } from 'react'

/**
 * Declare your event map once, and every hook is typed by it:
 * `declare module '@encrypted-socket/react' { interface Register { events: AppEvents } }`
 */
export interface Register {}

/** The registered event map, or any event with `unknown` data. */
export type RegisteredEvents = Register extends { events: infer Events extends EventMap }
  ? Events
  : UnknownEvents

// Clients of every event map share the one context, so it holds them untyped.
export const EncryptedSocketContext = createContext<unknown>(null)

/** The client to use: the one passed in, or the provider's. */
export function useClient<Events extends EventMap>(
  hook: string,
  client: EncryptedWebSocketClient<Events> | undefined,
): EncryptedWebSocketClient<Events> {
  const provided = useContext(EncryptedSocketContext) as EncryptedWebSocketClient<Events> | null
  const resolved = client ?? provided
  if (!resolved) {
    throw new Error(`${hook} needs { client } or an <EncryptedSocketProvider> above it.`)
  }
  return resolved
}
