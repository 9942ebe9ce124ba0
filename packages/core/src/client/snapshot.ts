import type { ClientSnapshot } from '../types'

export const INITIAL_SNAPSHOT: ClientSnapshot = /* @__PURE__ */ Object.freeze({
  state: 'disconnected',
  clientId: null,
  userId: null,
  encrypted: false,
  retryCount: 0,
  nextRetryAt: null,
  lastError: null,
  rooms: Object.freeze([]),
})

/** The snapshot with `patch` applied, or `current` itself when nothing changed. */
export function nextSnapshot(current: ClientSnapshot, patch: Partial<ClientSnapshot>): ClientSnapshot {
  let changed = false
  for (const key of Object.keys(patch) as (keyof ClientSnapshot)[]) {
    if (!sameValue(current[key], patch[key])) {
      changed = true
      break
    }
  }
  if (!changed) return current
  const next = { ...current, ...patch }
  if (patch.rooms) next.rooms = Object.freeze([...patch.rooms])
  return Object.freeze(next)
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true
  // Room lists compare by content, so an unchanged list keeps the snapshot's identity.
  return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => v === b[i])
}
