import type { EncryptedWebSocketClient } from './encryptedWebSocketClient'
import type { EventMap } from '../types'

type AnyClient = Pick<EncryptedWebSocketClient<EventMap>, 'destroy'>

const holders = new WeakMap<AnyClient, number>()

/**
 * Holds a client that its holder created. The client is destroyed a microtask after the last
 * holder lets go, unless someone took it again meanwhile: React StrictMode's mount → unmount →
 * mount keeps the same client and socket instead of opening a second one. Returns the release
 * function (calling it twice is harmless).
 */
export function leaseClient(client: AnyClient): () => void {
  holders.set(client, (holders.get(client) ?? 0) + 1)
  let released = false
  return () => {
    if (released) return
    released = true
    holders.set(client, (holders.get(client) ?? 1) - 1)
    queueMicrotask(() => {
      if (holders.get(client) === 0) {
        holders.delete(client)
        client.destroy()
      }
    })
  }
}

/**
 * Ties the client to the page: when the page goes away (`pagehide`: tab closed, navigation) the
 * client is destroyed, so the server sees a clean close instead of a dropped socket. A page kept
 * in the back/forward cache is only disconnected, and reconnects when it is shown again. (Unlike
 * `beforeunload`, `pagehide` does not fire when the user cancels leaving.) Does nothing where
 * there is no `window`. Returns the function that removes the listeners.
 */
export function destroyOnUnload(
  client: AnyClient & Pick<EncryptedWebSocketClient<EventMap>, 'disconnect' | 'connect'>,
): () => void {
  const target = globalThis as {
    addEventListener?: Window['addEventListener']
    removeEventListener?: Window['removeEventListener']
  }
  if (typeof target.addEventListener !== 'function') return () => undefined
  const onHide = (event: Event) => {
    if ((event as PageTransitionEvent).persisted) client.disconnect()
    else client.destroy()
  }
  const onShow = (event: Event) => {
    if ((event as PageTransitionEvent).persisted) client.connect().catch(() => undefined)
  }
  target.addEventListener('pagehide', onHide)
  target.addEventListener('pageshow', onShow)
  return () => {
    target.removeEventListener?.('pagehide', onHide)
    target.removeEventListener?.('pageshow', onShow)
  }
}
