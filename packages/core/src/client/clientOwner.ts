// The life of a client that a component, a composable or a plugin creates for itself, written
// once for every adapter: follow `enabled` and the token, and destroy the client when its last
// holder lets go (a microtask later, so React StrictMode's mount → unmount → mount keeps one
// socket) or when the page goes away. Connecting only in a browser is the adapter's part: React
// effects never run while rendering on a server, Vue watchers do (the Vue adapter checks).
import type { ClientOptions, EventMap, UnknownEvents } from '../types'
import { EncryptedWebSocketClient } from './encryptedWebSocketClient'
import { leaseClient } from './lease'
import { destroyOnUnload } from './pageSignals'

export interface ClientOwner<Events extends EventMap = UnknownEvents> {
  readonly client: EncryptedWebSocketClient<Events>
  /**
   * Holds the client, and ties it to the page in a browser. The returned release (calling it
   * twice is harmless) destroys the client once no holder is left.
   */
  hold(): () => void
  /** Connects while true, disconnects when false. */
  setEnabled(enabled: boolean): void
  /** The token for the next connection attempt; `undefined` keeps the one there is. */
  setToken(token: string | undefined): void
}

const inBrowser = (): boolean => typeof window !== 'undefined'

export function createClientOwner<Events extends EventMap = UnknownEvents>(
  options: ClientOptions,
): ClientOwner<Events> {
  const client = new EncryptedWebSocketClient<Events>(options)
  const setToken = (token: string | undefined) => {
    if (token !== undefined) client.updateToken(token)
  }
  let enabled = false
  const setEnabled = (on: boolean) => {
    enabled = on
    if (on)
      client.connect().catch(() => undefined) // failures show in the snapshot
    else client.disconnect()
  }
  return {
    client,
    hold() {
      const release = leaseClient(client)
      // Back from the back/forward cache, the client reconnects only if it is meant to be connected.
      const stopWatchingPage = inBrowser() ? destroyOnUnload(client, () => enabled) : () => undefined
      return () => {
        stopWatchingPage()
        release()
      }
    },
    setEnabled,
    setToken,
  }
}
