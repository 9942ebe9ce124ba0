import type { KeyObject } from 'node:crypto'

/**
 * What the main thread tells a seal worker. A connection's key arrives (`key`) before any job
 * naming its handle and is forgotten (`forget`) after the last one: the port keeps their order.
 */
export type ToSealWorker =
  | { type: 'key'; handle: number; protocol: 1 | 2; key: KeyObject; ivPrefix: number }
  | { type: 'forget'; handle: number }
  /**
   * Seal `items.length / 3` frames: for each, the connection's handle, its counter (v1: the IV's,
   * v2: the record number) and the index of its plaintext in `plaintexts`.
   */
  | { type: 'seal'; job: number; plaintexts: Uint8Array[]; items: Float64Array }
  /** How many keys the worker holds (tests: none is left behind). */
  | { type: 'count'; job: number }
  /** For tests: throw, as a bug in the worker would (it dies; what was posted after is never read). */
  | { type: 'crash' }

/**
 * A worker's answers. `sealed`: item `i` is `texts[i]` (a v1 frame), or the bytes
 * `packed[offsets[2i] .. offsets[2i] + offsets[2i + 1]]` (a v2 record); null and a length of -1
 * both: not sealed (the handle is unknown), to be sealed by the main thread.
 */
export type FromSealWorker =
  | { type: 'sealed'; job: number; texts: (string | null)[]; packed: ArrayBuffer; offsets: Int32Array }
  | { type: 'count'; job: number; keys: number }
