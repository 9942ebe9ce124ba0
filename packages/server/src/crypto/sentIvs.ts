import { randomFillSync } from 'node:crypto'
import { IV_LENGTH } from '@encrypted-socket/core'

const PREFIX_LENGTH = 4
const TWO_32 = 2 ** 32

/**
 * The IVs the v1 server seals its own frames with on one connection (one session key): a random
 * 4-byte prefix drawn for the connection, then an 8-byte big-endian counter from 0. Unique under
 * the key by construction (AES-GCM's one requirement; NIST SP 800-38D's deterministic IVs), and
 * the frames stay what the protocol says: 12 bytes that a client cannot tell from random ones.
 *
 * A reflection (one of our frames sent back to us) is recognised without remembering anything: it
 * has our prefix and a counter we already used. A client's random IV is taken for one with
 * probability sent / 2^96 — the same as it matching one of as many random IVs kept in a set.
 */
export class SentIvs {
  readonly #prefix: number
  #next = 0

  /** `random` fills the prefix (the CSPRNG; a parameter for tests). */
  constructor(random: (bytes: Buffer) => Buffer = randomFillSync) {
    this.#prefix = random(Buffer.alloc(PREFIX_LENGTH)).readUInt32BE(0)
  }

  /** This connection's random prefix (a fan-out worker builds the IVs of the counters it is given). */
  get prefix(): number {
    return this.#prefix
  }

  /** The IV for the next frame sealed under this connection's key; never the same twice. */
  next(): Buffer {
    return counterIv(this.#prefix, this.#next++)
  }

  /** Takes the next counter without building its IV (`counterIv(prefix, n)` builds it, elsewhere). */
  take(): number {
    return this.#next++
  }

  /** Whether `iv` is one that `next()` handed out: a frame of ours coming back. */
  sent(iv: Uint8Array): boolean {
    if (iv.length !== IV_LENGTH) return false
    const view = new DataView(iv.buffer, iv.byteOffset, IV_LENGTH)
    if (view.getUint32(0) !== this.#prefix) return false
    return view.getUint32(4) * TWO_32 + view.getUint32(8) < this.#next
  }
}

/** The IV `prefix ‖ uint64(n)`: what `SentIvs` hands out for counter `n`. */
export function counterIv(prefix: number, n: number): Buffer {
  const iv = Buffer.allocUnsafe(IV_LENGTH)
  iv.writeUInt32BE(prefix, 0)
  iv.writeUInt32BE(Math.floor(n / TWO_32), 4) // exact below 2^53 frames: never reached
  iv.writeUInt32BE(n >>> 0, 8)
  return iv
}
