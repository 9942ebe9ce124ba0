import {
  SNAPSHOT_FIELDS,
  type ClientSnapshot,
  type EncryptedWebSocketClient,
  type EventMap,
} from '@encrypted-socket/core'
import { useCallback, useRef, useSyncExternalStore } from 'react'

/**
 * `extra` plus the client's snapshot fields, as getters that record being read: the component
 * re-renders only when a field it read during render changed (and never per message).
 */
export function useTrackedSnapshot<Events extends EventMap, Extra extends object>(
  client: EncryptedWebSocketClient<Events>,
  extra: Extra,
): ClientSnapshot & Extra {
  const read = useRef(new Set<keyof ClientSnapshot>()).current
  const rendered = useRef<{ client: unknown; snapshot: ClientSnapshot } | null>(null)

  const getSnapshot = useCallback(() => {
    const next = client.getSnapshot()
    const last = rendered.current
    if (!last || last.client !== client || last.snapshot === next) return next
    for (const field of read) if (!Object.is(last.snapshot[field], next[field])) return next
    return last.snapshot // nothing this component reads changed
  }, [client, read])

  const snapshot = useSyncExternalStore(client.subscribe, getSnapshot, getSnapshot)
  rendered.current = { client, snapshot }

  const tracked = { ...extra } as ClientSnapshot & Extra
  for (const field of SNAPSHOT_FIELDS) {
    Object.defineProperty(tracked, field, {
      enumerable: true,
      get: () => {
        read.add(field)
        return snapshot[field]
      },
    })
  }
  return tracked
}
