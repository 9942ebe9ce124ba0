// What the protocol handlers need from the mock server.
import type { HandshakeMode } from './handshakeMode'
import type { MockConnection } from './mockConnection'
import type { ResolvedOptions } from './serverOptions'

export interface ServerContext {
  readonly options: ResolvedOptions
  /** The handshake mode of the moment (read when a handshake starts). */
  mode(): HandshakeMode
  /** A connection authenticated: hand it to `nextConnection()`. */
  authenticated(connection: MockConnection): void
  /** v2: whether `room`'s history was lost (`loseRoomHistory`): a join with `since` recovers nothing. */
  historyLost(room: string): boolean
  /** Why a join of `room` is refused (`denyRoom`), or null when it is not. */
  roomRefusal(room: string): { code: string; message: string } | null
}
