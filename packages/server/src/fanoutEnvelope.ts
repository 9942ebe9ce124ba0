import { jsonDepthExceeds } from './jsonDepth'

/** Who a fanned-out event is for. */
export type FanoutTarget =
  | { kind: 'room'; room: string }
  | { kind: 'user'; userId: string }
  | { kind: 'all' }
  | SessionControl
  | UserDisconnect

/** `disconnectUser` (no event): every instance closes the user's connections and drops their v2 sessions. */
export interface UserDisconnect {
  kind: 'disconnect'
  userId: string
  reason: string
}

/**
 * Between instances sharing sessions (no event): `supersede` asks the instance holding a session
 * to close its connection (4009), finish what it processes and write it through, then answer
 * `released`.
 */
export interface SessionControl {
  kind: 'session'
  session: string
  op: 'supersede' | 'released'
}

export interface FanoutMessage {
  target: FanoutTarget
  event: string
  data: unknown
}

/**
 * What crosses Redis: the message, the instance that published it, that instance's sequence
 * number for it and when it was published. Under a secret all of it is sealed, with the channel
 * as additional data, so a captured envelope cannot be altered, moved to another app's channel,
 * replayed or held back.
 */
export interface Envelope extends FanoutMessage {
  origin: string
  seq: number
  time: number
}

/**
 * The envelope's JSON text. Binary data (a Buffer, Uint8Array or ArrayBuffer) crosses as base64
 * with `"binary":true`, so that v2 connections on every instance receive it as binary.
 */
export function encodeEnvelope(envelope: Envelope): string {
  const { data } = envelope
  const bytes = data instanceof Uint8Array ? data : data instanceof ArrayBuffer ? new Uint8Array(data) : null
  if (!bytes) return JSON.stringify(envelope)
  const base64 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64')
  return JSON.stringify({ ...envelope, data: base64, binary: true })
}

/** Why an envelope from Redis was not delivered. */
export type EnvelopeRejection = 'unreadable' | 'invalid' | 'replayed' | 'stale'

/** Nesting far beyond any application message: deeper text is not parsed at all. */
const MAX_DEPTH = 64

/** The envelope in `text` if it has exactly the expected shape, or null. Never throws. */
export function parseEnvelope(text: string): Envelope | null {
  if (jsonDepthExceeds(text, MAX_DEPTH)) return null
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return null
  }
  if (!isObject(value)) return null
  const { origin, seq, time, event, target, binary } = value
  let { data } = value
  if (typeof origin !== 'string' || typeof event !== 'string') return null
  if (binary !== undefined) {
    if (binary !== true || typeof data !== 'string') return null
    data = Buffer.from(data, 'base64')
  }
  if (!Number.isSafeInteger(seq) || (seq as number) < 0 || !Number.isFinite(time)) return null
  const parsedTarget = parseTarget(target)
  if (!parsedTarget) return null
  return { origin, seq: seq as number, time: time as number, event, target: parsedTarget, data }
}

function parseTarget(target: unknown): FanoutTarget | null {
  if (!isObject(target)) return null
  if (target.kind === 'all') return { kind: 'all' }
  if (target.kind === 'room' && typeof target.room === 'string') return { kind: 'room', room: target.room }
  if (target.kind === 'user' && typeof target.userId === 'string') {
    return { kind: 'user', userId: target.userId }
  }
  if (
    target.kind === 'disconnect' &&
    typeof target.userId === 'string' &&
    typeof target.reason === 'string'
  ) {
    return { kind: 'disconnect', userId: target.userId, reason: target.reason }
  }
  if (
    target.kind === 'session' &&
    typeof target.session === 'string' &&
    (target.op === 'supersede' || target.op === 'released')
  ) {
    return { kind: 'session', session: target.session, op: target.op }
  }
  return null
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Accepts each envelope once, in its origin's order, and only while it is fresh: an envelope
 * whose time is more than `maxAge` from now (either way: clocks of instances differ a little) is
 * stale, one whose sequence number is not above the last accepted from its origin is replayed.
 * An origin silent for twice `maxAge` is forgotten: anything it sent is stale by then.
 */
export class ReplayFilter {
  readonly #maxAge: number
  readonly #last = new Map<string, { seq: number; at: number }>()

  constructor(maxAge: number) {
    this.#maxAge = maxAge
  }

  check(envelope: Envelope, now = Date.now()): 'replayed' | 'stale' | null {
    if (Math.abs(now - envelope.time) > this.#maxAge) return 'stale'
    const last = this.#last.get(envelope.origin)
    if (last && envelope.seq <= last.seq) return 'replayed'
    this.#last.set(envelope.origin, { seq: envelope.seq, at: now })
    return null
  }

  /** Forgets origins not heard from for twice `maxAge`. */
  prune(now = Date.now()): void {
    for (const [origin, last] of this.#last) if (now - last.at > 2 * this.#maxAge) this.#last.delete(origin)
  }
}
