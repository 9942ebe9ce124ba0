// The state machine of the connection: the next state for a state and an event, nothing else.
import type { ConnectionState } from '../types'

/** What happens to a connection; the client dispatches these and nothing else changes `state`. */
export type ClientEvent =
  /** `connect()` was called. */
  | { type: 'CONNECT' }
  /** The reconnection delay elapsed (or the browser came back online). */
  | { type: 'RETRY' }
  /** The socket opened; the handshake starts. */
  | { type: 'SOCKET_OPEN' }
  /** The server's `connected` frame was accepted and the session key derived. */
  | { type: 'AUTHENTICATED' }
  /** The connection or attempt failed and another attempt is scheduled. */
  | { type: 'CONNECTION_LOST' }
  /** The connection or attempt failed and will not be retried. */
  | { type: 'GIVE_UP' }
  /** `disconnect()` or `destroy()` was called. */
  | { type: 'DISCONNECT' }

/**
 * The state machine: the next state for a state and an event. An event that does not apply to a
 * state leaves it unchanged (for example a late `SOCKET_OPEN` after `disconnect()`).
 */
export function transition(from: ConnectionState, event: ClientEvent): ConnectionState {
  switch (event.type) {
    case 'CONNECT':
      return from === 'disconnected' ? 'connecting' : from
    case 'RETRY':
      return from === 'reconnecting' ? 'connecting' : from
    case 'SOCKET_OPEN':
      return from === 'connecting' ? 'authenticating' : from
    case 'AUTHENTICATED':
      return from === 'authenticating' ? 'authenticated' : from
    case 'CONNECTION_LOST':
      return isLive(from) ? 'reconnecting' : from
    case 'GIVE_UP':
      return isLive(from) || from === 'reconnecting' ? 'disconnected' : from
    case 'DISCONNECT':
      return 'disconnected'
  }
}

/** States in which a socket exists. */
export function isLive(state: ConnectionState): boolean {
  return state === 'connecting' || state === 'authenticating' || state === 'authenticated'
}
