// The page, as the client sees it: back online or visible again (retry now), offline (do not try),
// going away (close cleanly). Everything here is a no-op where there is no window.
import type { ClientBase } from './clientBase'
import type { EventMap } from '../types'

type PageTarget = {
  addEventListener?: Window['addEventListener']
  removeEventListener?: Window['removeEventListener']
}
const page = globalThis as PageTarget

/**
 * Calls `onBack` when the browser comes back online or the tab becomes visible again (mobile
 * resume, a throttled background tab): the moments to skip the rest of a backoff. Returns the
 * function that stops watching.
 */
export function watchPageSignals(onBack: () => void): () => void {
  if (typeof page.addEventListener !== 'function') return () => undefined
  const handler = () => {
    if (typeof document !== 'undefined' && document.visibilityState === 'hidden') return
    onBack()
  }
  page.addEventListener('online', handler)
  page.addEventListener('visibilitychange', handler)
  return () => {
    page.removeEventListener?.('online', handler)
    page.removeEventListener?.('visibilitychange', handler)
  }
}

/** True when the browser says it is offline (an attempt now would only fail). */
export function isOffline(): boolean {
  return typeof navigator !== 'undefined' && navigator.onLine === false
}

/**
 * Ties the client to the page: when the page goes away (`pagehide`: tab closed, navigation) the
 * client is destroyed, so the server sees a clean close instead of a dropped socket. A page kept
 * in the back/forward cache is only disconnected, and reconnects when it is shown again. (Unlike
 * `beforeunload`, `pagehide` does not fire when the user cancels leaving.) `reconnectOnShow` says
 * whether to reconnect then (an owner that was told not to connect says no). Returns the function
 * that removes the listeners.
 */
export function destroyOnUnload(
  client: Pick<ClientBase<EventMap>, 'destroy' | 'disconnect' | 'connect'>,
  reconnectOnShow: () => boolean = () => true,
): () => void {
  if (typeof page.addEventListener !== 'function') return () => undefined
  const onHide = (event: Event) => {
    if ((event as PageTransitionEvent).persisted) client.disconnect()
    else client.destroy()
  }
  const onShow = (event: Event) => {
    if ((event as PageTransitionEvent).persisted && reconnectOnShow()) client.connect().catch(() => undefined)
  }
  page.addEventListener('pagehide', onHide)
  page.addEventListener('pageshow', onShow)
  return () => {
    page.removeEventListener?.('pagehide', onHide)
    page.removeEventListener?.('pageshow', onShow)
  }
}
