import {
  createClientOwner,
  type ClientOptions,
  type EncryptedWebSocketClient,
  type CreateClientOwner,
  type EventMap,
} from '@encrypted-socket/core'
import { toValue, watch, type App, type MaybeRefOrGetter } from 'vue'
import { encryptedSocketKey, inBrowser, type RegisteredEvents } from './context'

export interface EncryptedSocketPlugin<Events extends EventMap> {
  install(app: App): void
  /** The shared client. */
  client: EncryptedWebSocketClient<Events>
}

/** Options for a client the plugin owns: `token` and `enabled` may be refs or getters. */
export interface PluginClientOptions extends Omit<ClientOptions, 'token'> {
  /** The JWT; a new value is used at the next connection attempt. */
  token?: MaybeRefOrGetter<string | undefined>
  /** Connect while true. @default true */
  enabled?: MaybeRefOrGetter<boolean | undefined>
}

/**
 * Shares one client with every composable of the app: `app.use(createEncryptedSocket(options))`.
 * With options the plugin owns the client (core's `createClientOwner`, as `useEncryptedSocket`
 * does): it connects it in the browser while `enabled`, follows `token`, and destroys it on
 * `app.unmount()` and page unload. With `{ client }` it shares yours.
 */
export function createEncryptedSocket<Events extends EventMap = RegisteredEvents>(
  options: PluginClientOptions | { client: EncryptedWebSocketClient<Events> },
): EncryptedSocketPlugin<Events> {
  return createEncryptedSocketOf(createClientOwner, options)
}

/** The plugin, for the client of an entry point (index.ts: v1 and v2; v2.ts: v2 alone). */
export function createEncryptedSocketOf<Events extends EventMap>(
  createOwner: CreateClientOwner,
  options: PluginClientOptions | { client: EncryptedWebSocketClient<Events> },
): EncryptedSocketPlugin<Events> {
  if ('client' in options) {
    const { client } = options
    return { client, install: (app) => void app.provide(encryptedSocketKey, client) }
  }
  const { token, enabled, ...clientOptions } = options
  const owner = createOwner<Events>({ ...clientOptions, token: toValue(token) })
  return {
    client: owner.client,
    install(app) {
      app.provide(encryptedSocketKey, owner.client)
      // While rendering on a server nothing connects, and nothing would ever stop these watchers.
      if (!inBrowser()) return
      const release = owner.hold()
      const stopWatching = [
        watch(
          () => toValue(token),
          (next) => owner.setToken(next),
        ),
        watch(
          () => toValue(enabled) ?? true,
          (on) => {
            // The token as it is now (it may have changed since createEncryptedSocket(), or with
            // `enabled` in the same tick), so that the attempt uses it.
            owner.setToken(toValue(token))
            owner.setEnabled(on)
          },
          { immediate: true },
        ),
      ]
      onAppUnmount(app, () => {
        for (const stop of stopWatching) stop()
        release()
      })
    },
  }
}

/** `app.onUnmount` exists from Vue 3.5; earlier versions get `unmount` wrapped. */
function onAppUnmount(app: App, cleanup: () => void): void {
  const withHook = app as App & { onUnmount?: (cleanup: () => void) => void }
  if (typeof withHook.onUnmount === 'function') {
    withHook.onUnmount(cleanup)
    return
  }
  const unmount = app.unmount.bind(app)
  app.unmount = () => {
    unmount()
    cleanup()
  }
}
