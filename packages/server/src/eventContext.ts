import type { EncryptedSocketServer } from './server'

/** What an event handler knows about the sender, and how it answers. */
export interface EventContext {
  /** The sending connection's id. */
  connectionId: string
  /** The user its token was verified as (the JWT's `sub`). */
  userId: string
  /** The rooms the connection is in. */
  rooms: ReadonlySet<string>
  /** Sends an encrypted event back to this connection. */
  reply(event: string, data?: unknown): Promise<void>
  /** The server, to send to rooms, users or everyone. */
  server: EncryptedSocketServer
}

/** Handles one decrypted application event. */
export type EventHandler = (context: EventContext, event: string, data: unknown) => void | Promise<void>
