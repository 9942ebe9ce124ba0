// The subprotocol the mock server selects at the upgrade (PROTOCOL-v2.md §1), through
// mock-socket's `selectProtocol` server option (its WebSocket then reports it as `protocol`).
import { PROTOCOL_V2 } from '@encrypted-socket/core'
import type { MockProtocol } from './serverOptions'

/**
 * `'v2'`: v2 when offered; otherwise, and with `'v1'`, the first offer, as `ws` does by default
 * (a client reads anything but v2 as v1), or none. `'v2-only'`: always v2, which mock-socket
 * refuses when the client did not offer it (a failed upgrade).
 */
export function selectProtocol(protocol: MockProtocol, offered: string[]): string {
  if (protocol === 'v2-only' || (protocol === 'v2' && offered.includes(PROTOCOL_V2))) return PROTOCOL_V2
  return offered[0] ?? ''
}
