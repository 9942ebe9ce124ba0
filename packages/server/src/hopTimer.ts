/** Publishes still waiting for their echo; beyond this the oldest are forgotten (their echo was lost). */
const MAX_PENDING = 10_000

/**
 * Times the Redis hop of this instance's own fan-out envelopes: from the moment PUBLISH is sent
 * (after any earlier publish, which keeps call order) to the moment the same envelope arrives
 * back on this instance's subscription (before it waits in the inbox). That is the path every
 * envelope takes to the other instances: publisher connection, Redis, subscriber connection.
 */
export class HopTimer {
  /** Told each hop's duration, in seconds. */
  onHop: ((seconds: number) => void) | null = null
  /** Envelope seq → when its PUBLISH was sent (performance.now()); seqs are published in order. */
  readonly #sent = new Map<number, number>()

  /** The PUBLISH of envelope `seq` is being sent now. */
  sent(seq: number, at = performance.now()): void {
    if (this.#sent.size >= MAX_PENDING) this.#sent.delete(this.#sent.keys().next().value!)
    this.#sent.set(seq, at)
  }

  /** The PUBLISH failed: no echo will come. */
  failed(seq: number): void {
    this.#sent.delete(seq)
  }

  /** Envelope `seq` came back; earlier ones still waiting never will (Redis delivers in order). */
  arrived(seq: number, at: number): void {
    const sentAt = this.#sent.get(seq)
    if (sentAt === undefined) return
    for (const pending of this.#sent.keys()) {
      if (pending > seq) break
      this.#sent.delete(pending)
    }
    this.onHop?.(Math.max(0, at - sentAt) / 1000)
  }

  /** Envelopes waiting for their echo. */
  get pending(): number {
    return this.#sent.size
  }
}
