/** Acknowledgements are coalesced for this long (the spec allows 50 ms; timers run late under load). */
export const ACK_DELAY_MS = 20

/**
 * The client's message numbers on one session: each seq is processed once and in order, a repeat
 * is acknowledged again, a seq that skips ahead is a violation. Acknowledgements are cumulative
 * and coalesced: one `ack` of the last processed seq, `ACK_DELAY_MS` after the first one due.
 */
export class ClientStream {
  readonly #sendAck: (seq: number) => void
  /** The highest seq that arrived (its handling may still be queued). */
  #arrived: number
  #processed: number
  #timer: ReturnType<typeof setTimeout> | null = null

  /** `last`: the last seq processed before (0 on a new session). */
  constructor(sendAck: (seq: number) => void, last = 0) {
    this.#sendAck = sendAck
    this.#arrived = last
    this.#processed = last
  }

  /** The last seq processed (what `ready.seq` reports on a resume). */
  get lastProcessed(): number {
    return this.#processed
  }

  /** Classifies an arriving seq: the next one, a repeat, or a gap (a violation). */
  arrive(seq: number): 'new' | 'repeat' | 'gap' {
    if (seq <= this.#arrived) return 'repeat'
    if (seq !== this.#arrived + 1) return 'gap'
    this.#arrived = seq
    return 'new'
  }

  /** `seq` was processed: an ack is due. */
  processed(seq: number): void {
    this.#processed = seq
    this.#scheduleAck()
  }

  /** A repeat arrived: it is acknowledged again, not processed again. */
  repeated(): void {
    this.#scheduleAck()
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
  }

  #scheduleAck(): void {
    this.#timer ??= setTimeout(() => {
      this.#timer = null
      this.#sendAck(this.#processed)
    }, ACK_DELAY_MS)
  }
}
