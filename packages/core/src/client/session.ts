// What a wire protocol gives a connection once its socket is open. Protocol v1 lives in
// v1Protocol.ts (with v1Handshake.ts and v1Session.ts), protocol v2 in v2Protocol.ts; the
// connection (connection.ts) owns the socket and the attempt's end, and picks one of them.
import type { EncryptedSocketError } from '../errors'
import type { ResolvedOptions } from '../options'
import type { RoomDenial } from '../types'
import type { EphemeralKeys } from '../protocol/handshake'
import type { ClientSession, SessionStart } from './clientSession'
import type { ConnectionEnd } from './connection'
import type { RequestAnswer } from './outbox'

/** A send as it leaves the outbox: the event, and its data serialised to JSON or binary. */
export interface OutgoingMessage {
  event: string
  /** `JSON.stringify(data)`; undefined when there is no data (or it is binary). */
  dataJson: string | undefined
  /** A binary payload (protocol v2 only). */
  binary: Uint8Array<ArrayBuffer> | undefined
  /** v2: the message's seq on this session, given when it is written. */
  seq?: number | undefined
  /** v2: a request's id (unique among the client's unanswered requests). */
  id?: number | undefined
  /** v2: the idempotency key, made at the first write and kept on every re-send. */
  key?: string | undefined
}

/** v2: how `ready` started the session (PROTOCOL-v2.md §6). */
export interface SessionReady extends SessionStart {
  resumed: boolean
  /** The last client seq the server processed (resumed) or 0. */
  processed: number
}

/** A stream that lost messages: the application should re-fetch what it shows from it. */
export type Gap = { scope: 'session' } | { scope: 'room'; room: string }

/** One protocol's side of an open connection. */
export interface Protocol {
  readonly version: 'v1' | 'v2'
  /** True once a session key exists (v1 also allows a keyless server when the options do). */
  readonly encrypted: boolean
  /** Every frame from the server, in arrival order. */
  receive(data: unknown): void
  /** Seals and writes messages in order; resolves with how many were handed to the socket. */
  send(messages: readonly OutgoingMessage[]): Promise<number>
  changeRooms(type: 'join' | 'leave', rooms: readonly string[]): void
  /** The page came back online or visible: v2 checks the connection is alive at once. */
  probe(): void
  /** A server close this protocol understands as a reason to give up (with that error), else undefined. */
  explainClose(code: number): EncryptedSocketError | undefined
  /** Resolves once every frame received so far was handled (a close waits for them). */
  settled(): Promise<void>
  /** Stops the protocol's timers; nothing it started acts after this. */
  dispose(): void
}

/**
 * The protocols a client speaks, each as a factory of its side of a connection. v2 always; v1 only
 * in the client from the package's root (a v2-only client bundles none of v1).
 */
export interface ProtocolSupport {
  v1?: (context: ProtocolContext) => Protocol
  v2: (context: ProtocolContext) => Protocol
}

/** What a protocol may do with its connection. Once the connection is disposed, nothing happens. */
export interface ProtocolContext {
  readonly options: ResolvedOptions
  /** This connection's ephemeral key pair, made ahead of it (NextKeyPair) and used by no other. */
  readonly keys: Promise<EphemeralKeys>
  readonly disposed: boolean
  /** The token of this attempt; undefined when there is none (the connection has then ended). */
  token(): Promise<string | undefined>
  /** v2: a fresh token from `getToken()` for an in-band refresh; undefined without one. */
  refreshToken(): Promise<string | undefined>
  /** Writes a frame; false when the socket is not open (or the connection is disposed). */
  write(frame: string | Uint8Array<ArrayBuffer>): boolean
  /** The client's v2 session, kept across connections. */
  readonly session: ClientSession
  authenticated(info: { clientId: string; userId: string; session?: SessionReady }): void
  /** v2: the server processed every client seq up to `seq`. */
  acknowledged(seq: number): void
  /** v2: the `res` of request `id`. */
  answered(id: number, answer: RequestAnswer): void
  /** v2: a stream lost messages. */
  gap(gap: Gap): void
  /** v2: the server let this connection into `room`. */
  roomJoined(room: string): void
  /** The server refused `room` (v2 `denied`, v1 an `error` frame `JOIN_DENIED`). */
  roomDenied(room: string, denial: RoomDenial): void
  event(name: string, data: unknown): void
  report(error: EncryptedSocketError): void
  /** Ends the attempt with the client's close `code`; `next` tells the client how to go on. */
  fail(code: number, error: EncryptedSocketError, next?: Exclude<ConnectionEnd['next'], 'give-up'>): void
  /** Ends the attempt for good (nothing to retry): a wrong `ecdhInfo`, a v1-only server for a v2 client. */
  giveUp(code: number, error: EncryptedSocketError): void
  /** The key's limit is reached: a new connection brings a new key. */
  rekey(): void
  /** Server-provided text with every token the client knows blanked out. */
  scrub(text: string): string
  /** Logs an internal failure; never throws (a throwing logger must not break a frame chain). */
  logError(message: string, error: unknown): void
}
