import {
  destroyOnUnload,
  EncryptedWebSocketClient,
  type ClientOptions,
  type EventMap,
} from '@encrypted-socket/core'
import type { App } from 'vue'
import { encryptedSocketKey, type RegisteredEvents } from './context'

export interface EncryptedSocketPlugin<Events extends EventMap> {
  install(app: App): void
  /** The shared client. */
  client: EncryptedWebSocketClient<Events>
}

/**
 * Shares one client with every composable of the app: `app.use(createEncryptedSocket(options))`.
 * With options the plugin owns the client: it connects it in the browser (unless `enabled:
 * false`) and destroys it on `app.unmount()` and page unload. With `{ client }` it shares yours.
 */
export function createEncryptedSocket<Events extends EventMap = RegisteredEvents>(
  options: (ClientOptions & { enabled?: boolean }) | { client: EncryptedWebSocketClient<Events> },
): EncryptedSocketPlugin<Events> {
  const owned = !('client' in options)
  let client: EncryptedWebSocketClient<Events>
  if ('client' in options) {
    client = options.client
  } else {
    const { enabled: _enabled, ...clientOptions } = options
    client = new EncryptedWebSocketClient<Events>(clientOptions)
  }
  return {
    client,
    install(app) {
      app.provide(encryptedSocketKey, client)
      if (!owned || typeof window === 'undefined') return
      if (!('enabled' in options) || options.enabled !== false) client.connect().catch(() => undefined)
      const stopWatchingUnload = destroyOnUnload(client)
      onAppUnmount(app, () => {
        stopWatchingUnload()
        client.destroy()
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
