import { encodeRecordPlaintext, EncryptedSocketError, msgJson } from '@encrypted-socket/core'
import type { RoomEntry } from './delivery/roomLog'

const encoder = new TextEncoder()

/**
 * An application message on its way to one or many connections, serialised once: `data` is
 * turned into JSON at most once, and each protocol's plaintext is built once, the first time a
 * connection of that protocol asks for it. A Buffer, Uint8Array or ArrayBuffer is binary data:
 * v2 carries it as the record's attachment; v1 cannot carry it at all.
 */
export class OutgoingMessage {
  readonly event: string
  /** The binary payload, or null when `data` is JSON. */
  readonly binary: Uint8Array | null
  /** A room-stream message: its room and its entry in the room's stream (v2 carries `room` and `seq`). */
  room: { name: string; entry: RoomEntry } | null = null
  readonly #dataJson: string | undefined
  #v1: Uint8Array | undefined
  #v2: Uint8Array | undefined

  /** Throws `ERR_INVALID_PAYLOAD` when `data` is not JSON-serialisable (a BigInt, a cycle). */
  constructor(event: string, data: unknown) {
    this.event = event
    this.binary = toBinary(data)
    if (this.binary) return
    try {
      this.#dataJson = JSON.stringify(data) as string | undefined
    } catch (cause) {
      throw new EncryptedSocketError(
        'ERR_INVALID_PAYLOAD',
        `The data of "${event}" is not JSON (a BigInt, a cycle?).`,
        {
          cause,
        },
      )
    }
  }

  /** About how many bytes the message takes (to size fan-out batches). */
  get byteLength(): number {
    return this.binary ? this.binary.length : (this.#dataJson?.length ?? 0) + this.event.length
  }

  /** `{"event":…,"data":…}` in UTF-8 (what v1 encrypts), or null for binary data. */
  v1Plaintext(): Uint8Array | null {
    if (this.binary) return null
    const data = this.#dataJson === undefined ? '' : `,"data":${this.#dataJson}`
    return (this.#v1 ??= encoder.encode(`{"event":${JSON.stringify(this.event)}${data}}`))
  }

  /** The record plaintext of `{"t":"msg","event":…,"data":…}`, or of `"bin":true` and the attachment. */
  v2Plaintext(): Uint8Array {
    return (this.#v2 ??= this.v2PlaintextWith({}))
  }

  /** The same with more fields, e.g. `{ seq: 3 }` on a session stream or `{ room, seq }` on a room's. */
  v2PlaintextWith(fields: { seq?: number; room?: string }): Uint8Array {
    return encodeRecordPlaintext(
      msgJson(
        { t: 'msg', seq: fields.seq, room: fields.room },
        this.event,
        this.#dataJson,
        this.binary !== null,
      ),
      this.binary ?? undefined,
    )
  }
}

function toBinary(data: unknown): Uint8Array | null {
  if (data instanceof Uint8Array) return data
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  return null
}
