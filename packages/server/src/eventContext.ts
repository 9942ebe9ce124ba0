import type { EncryptedSocketServer } from './server'

/** What an event handler knows about the sender, and how it answers. */
export interface EventContext {
  /** The sending connection's id. */
  connectionId: string
  /** The user its token was verified as (the JWT's `sub`). */
  userId: string
  /** The rooms the connection is in. */
  rooms: ReadonlySet<string>
  /**
   * v2: the message's idempotency key, the same on every re-send of one `send()`/`request()`. The
   * server does not call the handler twice for one key within the resume window (see
   * `resumeWindow`); beyond it, use the key for your own idempotency (e.g. a unique column).
   */
  key?: string
  /** v2: the request's id when the client asked for an answer (`request()`): the handler's return value is the answer. */
  requestId?: number
  /** Sends an encrypted event back to this connection (v2: on its session stream, kept for a resume). */
  reply(event: string, data?: unknown): Promise<void>
  /** The server, to send to rooms, users or everyone. */
  server: EncryptedSocketServer
}

/**
 * Handles one decrypted application event. For a v2 request, what it returns (or resolves with)
 * is the answer: undefined → no data, a Buffer/Uint8Array/ArrayBuffer → binary data, anything else
 * → JSON; an error it throws with a string `code` is answered `{ code, message }`, any other error
 * `HANDLER_FAILED`. For anything else the return value is ignored.
 */
export type EventHandler = (context: EventContext, event: string, data: unknown) => unknown | Promise<unknown>
