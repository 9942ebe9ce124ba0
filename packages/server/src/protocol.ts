import type { KeyObject } from 'node:crypto'
import type { OutgoingMessage } from './outgoing'
import type { SealedRecord } from './v2/recordChannel'

/** A frame ready for the socket: v1's text, or a v2 record (written in counter order). */
export type SealedFrame = string | SealedRecord

/**
 * A fan-out frame whose place is taken on its connection (v1: the IV counter, v2: the record
 * number, both in call order), to be sealed by a worker (`workers`) or here, then written in
 * that order: frames taken after it wait for it.
 */
export interface PendingSeal {
  /** v1: the IV counter; v2: the record number. */
  readonly counter: number
  readonly plaintext: Uint8Array
  /** Seals it on this thread: the same bytes the worker makes (same key, same IV or number). */
  sealHere(): SealedFrame
  /** Writes the sealed frame in its place. Called exactly once. */
  complete(frame: SealedFrame): void
}

/** What a fan-out worker needs to seal a connection's frames: the key, and v1's IV prefix. */
export type WorkerKey = { protocol: 1; key: KeyObject; ivPrefix: number } | { protocol: 2; key: KeyObject }

/**
 * What differs between protocol v1 and v2 on one connection: the handshake, reading frames, and
 * sealing messages. `ServerConnection` keeps what both share: limits, the incoming queue, writes,
 * closing and drop counts.
 */
export interface ConnectionProtocol {
  readonly version: 1 | 2
  /** Whether the client has yet to send what `authTimeout` waits for. */
  readonly awaitingAuth: boolean
  /** The socket is open: v2 sends its welcome. */
  start(): void
  /** One frame from the client, in arrival order (never one of a connection already refused). */
  receive(data: Buffer, isBinary: boolean): void
  /** A message to this connection or its user (`sendTo`, `sendToUser`, `reply`): false when it cannot take it. */
  deliver(message: OutgoingMessage): boolean
  /** An application message sealed for this connection (rooms, broadcasts), or null when it cannot carry it. */
  seal(message: OutgoingMessage): SealedFrame | null
  /** As `seal`, with the cipher left to a fan-out worker (`workers`): null when `seal` would be. */
  reserve(message: OutgoingMessage): PendingSeal | null
  /** The key a fan-out worker seals with, once the handshake made it (else null). */
  workerKey(): WorkerKey | null
  /** Writes what `seal` returned; false when the socket is no longer open. */
  write(frame: SealedFrame): boolean
  /** A notice to the client (`RATE_LIMITED`…): v1 a plaintext `error` frame, v2 an `error` record. */
  notice(code: string, message: string): void
  /** The socket closed: stop timers. */
  stop(): void
  /** Drain: what was handled is acknowledged now and written through to the shared store. */
  drained?(): Promise<void>
}
