// The client from the package's root: protocol v2 with servers that speak it, v1 otherwise.
import type { ClientOptions, EventMap, UnknownEvents } from '../types'
import { ClientBase } from './clientBase'
import { ownClient, type ClientOwner } from './clientOwner'
import { V1Protocol } from './v1Protocol'
import { V2Protocol } from './v2Protocol'

/**
 * An end-to-end-encrypted WebSocket client: a fresh ECDH P-256 key pair per connection,
 * HKDF-SHA-256, AES-256-GCM, over protocol v2 with servers that speak it and v1 otherwise; with
 * reconnection, rooms, an outbox and liveness checks. An app whose servers all speak v2 bundles
 * less with the same client from `@encrypted-socket/core/v2`.
 *
 * ```ts
 * const client = new EncryptedWebSocketClient<{ 'order.created': Order }>({ url, ecdhInfo, token })
 * client.on('order.created', (order) => render(order))
 * await client.connect()
 * await client.send('order.create', { sku: 'A1' })
 * client.destroy()
 * ```
 */
export class EncryptedWebSocketClient<Events extends EventMap = UnknownEvents> extends ClientBase<Events> {
  constructor(options: ClientOptions) {
    super(options, { v1: (context) => new V1Protocol(context), v2: (context) => new V2Protocol(context) })
  }
}

/** A client its caller owns: see `ClientOwner`. */
export function createClientOwner<Events extends EventMap = UnknownEvents>(
  options: ClientOptions,
): ClientOwner<Events> {
  return ownClient((checked) => new EncryptedWebSocketClient<Events>(checked), options)
}
