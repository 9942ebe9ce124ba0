/** Acknowledgements are coalesced for this long (the spec allows 50 ms; timers run late under load). */
export const ACK_DELAY_MS = 20

/**
 * The client's message numbers on one session: each seq is processed once and in order, a repeat
 * is acknowledged again, a seq that skips ahead is a violation. Acknowledgements are cumulative
 * and coalesced: one `ack` of the last processed seq, `ACK_DELAY_MS` after the first one due,
 * unless a `res` acknowledged it already.
 */
export class ClientStream {
  readonly #sendAck: (seq: number) => void
  /** The highest seq that arrived (its handling may still be queued). */
  #arrived: number
  #processed: number
  /** The highest seq the client was told about (by an `ack` or a `res`). */
  #acknowledged: number
  /** A repeat arrived: acknowledge again even if nothing new was processed. */
  #repeat = false
  #timer: ReturnType<typeof setTimeout> | null = null

  /** `last`: the last seq processed before (0 on a new session; a resumed one's otherwise). */
  constructor(sendAck: (seq: number) => void, last = 0) {
    this.#sendAck = sendAck
    this.#arrived = last
    this.#processed = last
    this.#acknowledged = last
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

  /** `seq` was processed: an ack is due, unless `answered` (a `res` acknowledges it). */
  processed(seq: number, answered = false): void {
    this.#processed = seq
    if (answered) this.#acknowledged = seq
    else this.#scheduleAck()
  }

  /** A repeat arrived: it is acknowledged again, not processed again. */
  repeated(): void {
    this.#repeat = true
    this.#scheduleAck()
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
  }

  /** Sends the acknowledgement that is due now, not after the delay (a drain). */
  flush(): void {
    this.stop()
    if (this.#processed === this.#acknowledged && !this.#repeat) return
    this.#repeat = false
    this.#acknowledged = this.#processed
    this.#sendAck(this.#processed)
  }

  #scheduleAck(): void {
    this.#timer ??= setTimeout(() => this.flush(), ACK_DELAY_MS)
  }
}
