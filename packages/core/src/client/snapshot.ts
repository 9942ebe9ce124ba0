// The snapshot: what the application can read about the client, changed only through `reduce`.
import type { EncryptedSocketError } from '../errors'
import type { ClientSnapshot, RoomDenial } from '../types'
import { transition, type ClientEvent } from './transition'

export const INITIAL_SNAPSHOT: ClientSnapshot = /* @__PURE__ */ Object.freeze({
  state: 'disconnected',
  clientId: null,
  userId: null,
  encrypted: false,
  protocol: null,
  resumed: false,
  retryCount: 0,
  nextRetryAt: null,
  lastError: null,
  rooms: Object.freeze([]),
  joinedRooms: Object.freeze([]),
  deniedRooms: Object.freeze({}),
})

/**
 * Every field of the snapshot, once: the adapters build what they return from this list, and
 * a field added to `ClientSnapshot` but not here does not compile.
 */
export const SNAPSHOT_FIELDS = /* @__PURE__ */ Object.freeze([
  'state',
  'clientId',
  'userId',
  'encrypted',
  'protocol',
  'resumed',
  'retryCount',
  'nextRetryAt',
  'lastError',
  'rooms',
  'joinedRooms',
  'deniedRooms',
] as const) satisfies readonly (keyof ClientSnapshot)[]

type MissingField = Exclude<keyof ClientSnapshot, (typeof SNAPSHOT_FIELDS)[number]>
const everyField: [MissingField] extends [never] ? true : MissingField = true
void everyField

/** What happens to the client, as the snapshot sees it. */
export type SnapshotAction =
  /** `connect()` from disconnected. */
  | { type: 'CONNECT' }
  /** The socket opened; the handshake starts. */
  | { type: 'SOCKET_OPEN' }
  /** The handshake completed. */
  | {
      type: 'AUTHENTICATED'
      clientId: string
      userId: string
      encrypted: boolean
      protocol: 'v1' | 'v2'
      resumed: boolean
      /** The rooms the server holds for this connection from the start (see `joinedRooms`). */
      joinedRooms: readonly string[]
    }
  /** The connection ended and another attempt follows (`nextRetryAt`: when, or null for now). */
  | { type: 'CONNECTION_LOST'; nextRetryAt: number | null }
  /** The next attempt starts; `counted` unless it is a re-key, which is not a retry. */
  | { type: 'RETRY'; counted: boolean }
  /** Retrying now was asked for, but the browser is offline: the `online` event will retry. */
  | { type: 'RETRY_DEFERRED' }
  /** No more attempts, for `error`. */
  | { type: 'GIVE_UP'; error: EncryptedSocketError }
  /** `disconnect()` or `destroy()`. */
  | { type: 'DISCONNECT' }
  /** A failure the application should know about (a dropped frame, a server error). */
  | { type: 'REPORT'; error: EncryptedSocketError }
  /** The rooms the application is in, or the server's answers about them, changed. */
  | {
      type: 'ROOMS'
      rooms: readonly string[]
      joinedRooms: readonly string[]
      deniedRooms: Readonly<Record<string, RoomDenial>>
    }

/**
 * Holds the snapshot: `get` and `subscribe` for readers (bound, so they can be passed bare),
 * `dispatch` for the client. Listeners hear of real changes only, never per message.
 */
export class SnapshotStore {
  #snapshot: ClientSnapshot = INITIAL_SNAPSHOT
  readonly #listeners = new Set<() => void>()
  readonly #onListenerError: (error: unknown) => void

  constructor(onListenerError: (error: unknown) => void) {
    this.#onListenerError = onListenerError
  }

  readonly get = (): ClientSnapshot => this.#snapshot

  readonly subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener)
    return () => {
      this.#listeners.delete(listener)
    }
  }

  /** Applies `action` through `reduce`; returns the snapshot before it. */
  dispatch(action: SnapshotAction): ClientSnapshot {
    const previous = this.#snapshot
    this.#snapshot = reduce(previous, action)
    if (this.#snapshot === previous) return previous
    for (const listener of [...this.#listeners]) {
      try {
        listener()
      } catch (error) {
        this.#onListenerError(error)
      }
    }
    return previous
  }

  clear(): void {
    this.#listeners.clear()
  }
}

/** Fields that describe a session: cleared whenever there is none. */
const NO_SESSION = {
  encrypted: false,
  protocol: null,
  resumed: false,
  clientId: null,
  userId: null,
  joinedRooms: INITIAL_SNAPSHOT.joinedRooms,
} as const

/**
 * The next snapshot: `state` through `transition()`, every other field here. Returns `snapshot`
 * itself when nothing changed, so its identity is a change signal.
 */
export function reduce(snapshot: ClientSnapshot, action: SnapshotAction): ClientSnapshot {
  switch (action.type) {
    case 'CONNECT':
      return apply(snapshot, action, { retryCount: 0, nextRetryAt: null })
    case 'SOCKET_OPEN':
      return apply(snapshot, action, {})
    case 'AUTHENTICATED': {
      const { clientId, userId, encrypted, protocol, resumed, joinedRooms } = action
      return apply(snapshot, action, {
        joinedRooms,
        clientId,
        userId,
        encrypted,
        protocol,
        resumed,
        retryCount: 0,
        nextRetryAt: null,
        lastError: null,
      })
    }
    case 'CONNECTION_LOST':
      return apply(snapshot, action, { ...NO_SESSION, nextRetryAt: action.nextRetryAt })
    case 'RETRY':
      return apply(
        snapshot,
        action,
        action.counted ? { retryCount: snapshot.retryCount + 1, nextRetryAt: null } : {},
      )
    case 'RETRY_DEFERRED':
      return nextSnapshot(snapshot, { nextRetryAt: null })
    case 'GIVE_UP':
      return apply(snapshot, action, { ...NO_SESSION, nextRetryAt: null, lastError: action.error })
    case 'DISCONNECT':
      return apply(snapshot, action, { ...NO_SESSION, nextRetryAt: null, retryCount: 0 })
    case 'REPORT':
      return nextSnapshot(snapshot, { lastError: action.error })
    case 'ROOMS':
      return nextSnapshot(snapshot, {
        rooms: action.rooms,
        joinedRooms: action.joinedRooms,
        deniedRooms: action.deniedRooms,
      })
  }
}

function apply(
  snapshot: ClientSnapshot,
  event: ClientEvent,
  fields: Partial<ClientSnapshot>,
): ClientSnapshot {
  return nextSnapshot(snapshot, { ...fields, state: transition(snapshot.state, event) })
}

/** The snapshot with `fields` applied, or `current` itself when nothing changed. */
export function nextSnapshot(current: ClientSnapshot, fields: Partial<ClientSnapshot>): ClientSnapshot {
  let changed = false
  for (const key of Object.keys(fields) as (keyof ClientSnapshot)[]) {
    if (!sameValue(current[key], fields[key])) {
      changed = true
      break
    }
  }
  if (!changed) return current
  const next = { ...current, ...fields }
  if (fields.rooms) next.rooms = Object.freeze([...fields.rooms])
  if (fields.joinedRooms) next.joinedRooms = Object.freeze([...fields.joinedRooms])
  if (fields.deniedRooms) next.deniedRooms = Object.freeze({ ...fields.deniedRooms })
  return Object.freeze(next)
}

/** Room lists and denials compare by content, so unchanged ones keep the snapshot's identity. */
function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => v === b[i])
  }
  if (!isRecord(a) || !isRecord(b)) return false
  const keys = Object.keys(a)
  return keys.length === Object.keys(b).length && keys.every((key) => sameDenial(a[key], b[key]))
}

function sameDenial(a: unknown, b: unknown): boolean {
  return isRecord(a) && isRecord(b) && a['code'] === b['code'] && a['message'] === b['message']
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !(value instanceof Error)
}
