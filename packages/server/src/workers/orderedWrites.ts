/** One frame's place in a connection's write order: filled now (`push`) or later (`reserve`). */
export interface WriteSlot {
  frame: string | null
  backPressure: boolean
  filled: boolean
}

/**
 * A v1 connection's text frames in the order their places were taken: a fan-out frame sealed in a
 * worker takes its place when its IV counter is taken, and every frame after it (a direct send,
 * a notice) waits until it is filled. While nothing waits, a frame is written at once.
 */
export class OrderedWrites {
  readonly #write: (frame: string, backPressure: boolean) => boolean
  readonly #waiting: WriteSlot[] = []

  /** `write`: the socket write (`ServerConnection.transmit`). */
  constructor(write: (frame: string, backPressure: boolean) => boolean) {
    this.#write = write
  }

  /** Nothing waits: a frame can be written at once. */
  get idle(): boolean {
    return this.#waiting.length === 0
  }

  /** Writes `frame` after what waits (at once when nothing does); what the socket write returned, or true when it waits. */
  push(frame: string, backPressure = false): boolean {
    if (this.idle) return this.#write(frame, backPressure)
    this.#waiting.push({ frame, backPressure, filled: true })
    return true
  }

  /** Takes a place for a frame sealed later: `fill` it exactly once. */
  reserve(): WriteSlot {
    const slot: WriteSlot = { frame: null, backPressure: false, filled: false }
    this.#waiting.push(slot)
    return slot
  }

  /** The frame of a reserved place (null: nothing to write there); writes what no longer waits. */
  fill(slot: WriteSlot, frame: string | null): void {
    slot.frame = frame
    slot.filled = true
    let written = 0
    for (const next of this.#waiting) {
      if (!next.filled) break
      written++
      if (next.frame !== null) this.#write(next.frame, next.backPressure)
    }
    this.#waiting.splice(0, written)
  }
}
