// The client from `@encrypted-socket/core/v2`: protocol v2 alone, so that none of v1 is bundled.
import type { ClientOptions, EventMap, UnknownEvents } from '../types'
import { ClientBase } from './clientBase'
import { ownClient, type ClientOwner } from './clientOwner'
import { V2Protocol } from './v2Protocol'

/**
 * The same client as the root's `EncryptedWebSocketClient`, for servers that all speak protocol
 * v2: it never falls back to v1 (a v1 server is `ERR_PROTOCOL_VERSION`), and `protocol` may only be
 * `'v2'` or left out.
 */
export class EncryptedWebSocketClientV2<Events extends EventMap = UnknownEvents> extends ClientBase<Events> {
  constructor(options: ClientOptions) {
    super(options, { v2: (context) => new V2Protocol(context) })
  }
}

/** A v2-only client its caller owns: see `ClientOwner`. */
export function createClientOwnerV2<Events extends EventMap = UnknownEvents>(
  options: ClientOptions,
): ClientOwner<Events> {
  return ownClient((checked) => new EncryptedWebSocketClientV2<Events>(checked), options)
}
