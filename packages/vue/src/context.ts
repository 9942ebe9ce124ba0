import type { EncryptedWebSocketClient, EventMap, UnknownEvents } from '@encrypted-socket/core'
import {
  getCurrentScope,
  hasInjectionContext,
  inject,
  onScopeDispose,
  ssrContextKey,
  type InjectionKey,
} from 'vue'

/**
 * Declare your event map once, and every composable is typed by it:
 * `declare module '@encrypted-socket/vue' { interface Register { events: AppEvents } }`
 */
export interface Register {}

/** The registered event map, or any event with `unknown` data. */
export type RegisteredEvents = Register extends { events: infer Events extends EventMap }
  ? Events
  : UnknownEvents

/** Where the plugin provides its client. Clients of every event map share it, so it is untyped. */
export const encryptedSocketKey: InjectionKey<unknown> = Symbol('encrypted-socket')

/** The plugin's client, if there is an injection context and a plugin. */
export function injectClient<Events extends EventMap>(): EncryptedWebSocketClient<Events> | null {
  return hasInjectionContext()
    ? (inject(encryptedSocketKey, null) as EncryptedWebSocketClient<Events> | null)
    : null
}

/**
 * True in a setup() that renders on a server. Vue runs `immediate` watchers once there and, before
 * 3.5, never calls their onCleanup: whatever they subscribe to must not be subscribed there.
 */
export const renderingOnServer = (): boolean => hasInjectionContext() && inject(ssrContextKey, null) !== null

/** False while rendering on a server, where Vue runs watchers too: nothing connects there. */
export const inBrowser = (): boolean => typeof window !== 'undefined'

/** Names what is missing: useRoom and useSocketEvent take no options, only `{ client }`. */
export function missingClient(composable: string, needs = 'options, { client },'): Error {
  return new Error(`${composable} needs ${needs} or app.use(createEncryptedSocket(…)).`)
}

// Bundlers replace process.env.NODE_ENV; where nothing does, `process` may not exist.
declare const process: { env: { NODE_ENV?: string } }
let warned = false

/** Runs `cleanup` when the current effect scope ends; outside any scope, warns once in development. */
export function tryOnScopeDispose(composable: string, cleanup: () => void): void {
  if (getCurrentScope()) {
    onScopeDispose(cleanup)
    return
  }
  if (!warned && typeof process !== 'undefined' && process.env.NODE_ENV !== 'production') {
    warned = true
    console.warn(`${composable} was called outside a component or effectScope(): nothing will clean it up.`)
  }
}
