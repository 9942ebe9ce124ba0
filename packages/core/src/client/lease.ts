// Shared ownership of a client, so that React StrictMode's remount keeps one socket.
import type { ClientBase } from './clientBase'
import type { EventMap } from '../types'

type AnyClient = Pick<ClientBase<EventMap>, 'destroy'>

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
