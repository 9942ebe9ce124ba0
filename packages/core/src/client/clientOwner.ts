// The life of a client that a component, a composable or a plugin creates for itself, written
// once for every adapter: follow `enabled` and the token, and destroy the client when its last
// holder lets go (a microtask later, so React StrictMode's mount → unmount → mount keeps one
// socket) or when the page goes away. Connecting only in a browser is the adapter's part: React
// effects never run while rendering on a server, Vue watchers do (the Vue adapter checks).
import { isEncryptedSocketError } from '../errors'
import type { ClientOptions, EventMap, UnknownEvents } from '../types'
import type { ClientBase } from './clientBase'
import { leaseClient } from './lease'
import { INITIAL_SNAPSHOT } from './snapshot'
import { destroyOnUnload } from './pageSignals'

export interface ClientOwner<Events extends EventMap = UnknownEvents> {
  readonly client: ClientBase<Events>
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

/** `createClientOwner` of an entry point (`@encrypted-socket/core` or `/v2`): what the adapters take. */
export type CreateClientOwner = <Events extends EventMap>(options: ClientOptions) => ClientOwner<Events>

const inBrowser = (): boolean => typeof window !== 'undefined'
const noop = (): void => undefined

const logged = new Set<string>()

/**
 * A client whose options were refused (`ERR_INVALID_OPTION`, `ERR_INSECURE_TRANSPORT`): the
 * adapters render it instead of throwing from render. Its snapshot is `disconnected` with that
 * error as `lastError`; `connect()`, `reconnect()` and `send()` reject with it, `joinRooms()` and
 * `leaveRooms()` throw it; subscriptions and `joinRoom()` hold nothing.
 */
function refusedClient(error: Error): ClientBase<EventMap> {
  const snapshot = Object.freeze({ ...INITIAL_SNAPSHOT, lastError: error })
  const reject = () => Promise.reject(error)
  const refuse = () => {
    throw error
  }
  const unsubscribe = () => noop
  const no = () => false
  const none = () => null
  return {
    getSnapshot: () => snapshot,
    getState: () => 'disconnected',
    isConnected: no,
    isEncrypted: no,
    getClientId: none,
    getUserId: none,
    subscribe: unsubscribe,
    on: unsubscribe,
    onLifecycle: unsubscribe,
    onStateChange: unsubscribe,
    joinRoom: unsubscribe,
    off: noop,
    offAll: noop,
    connect: reject,
    reconnect: reject,
    send: reject,
    request: reject,
    joinRooms: refuse,
    leaveRooms: refuse,
    disconnect: noop,
    destroy: noop,
    updateToken: noop,
    setDebug: noop,
  } satisfies Record<keyof ClientBase<EventMap>, unknown> as unknown as ClientBase<EventMap>
}

/**
 * The owner of a new client. Options the client refuses do not throw (an adapter would throw
 * during render, a blank page): the owner holds a refused client instead (see above), and in
 * development the error is printed once with `console.error`.
 */
export function ownClient<Events extends EventMap>(
  construct: (options: ClientOptions) => ClientBase<Events>,
  options: ClientOptions,
): ClientOwner<Events> {
  let client: ClientBase<Events>
  try {
    client = construct(options)
  } catch (error) {
    if (!isEncryptedSocketError(error)) throw error
    if (__DEV__ && !logged.has(error.message)) {
      logged.add(error.message)
      console.error(error)
    }
    return { client: refusedClient(error) as never, hold: () => noop, setEnabled: noop, setToken: noop }
  }
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
