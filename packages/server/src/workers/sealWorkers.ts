import type { ServerConnection } from '../connection'
import { fanOutBatchSize } from '../fanOut'
import type { ServerLogger } from '../logger'
import type { OutgoingMessage } from '../outgoing'
import type { PendingSeal } from '../protocol'
import { WorkerSlot } from './workerSlot'

/** Which worker holds a connection's key, and under which handle. */
export interface SealLease {
  readonly slot: WorkerSlot
  readonly handle: number
}

/**
 * The `workers` option: threads that seal fan-out (rooms, broadcasts, Redis-delivered room
 * events). Each ready connection's key goes to the least loaded worker and is forgotten when the
 * connection closes. The main thread keeps everything that decides what is sent and in which
 * order (the checks, the v1 IV counter or v2 record number, the room cursors); a worker only
 * runs the cipher, and each connection writes its frames in the order their counters were taken
 * (a direct send after a fan-out waits for it). Direct sends (`sendTo`, replies, session-stream
 * messages, control records) are sealed on the main thread, as without workers.
 */
export class SealWorkers {
  readonly #slots: WorkerSlot[]
  #handles = 0
  #jobs = 0
  /** Frames sealed here because their connection's worker no longer runs. */
  #sealedHere = 0

  constructor(script: string, count: number, logger: ServerLogger) {
    this.#slots = Array.from({ length: count }, (_, index) => new WorkerSlot(index, script, logger))
  }

  /** The connection is ready: its key goes to the least loaded worker (none running: sealed here). */
  attach(connection: ServerConnection): void {
    if (connection.sealLease || connection.socket.readyState === connection.socket.CLOSED) return
    const key = connection.workerKey()
    let slot: WorkerSlot | null = null
    for (const candidate of this.#slots)
      if (candidate.alive && (!slot || candidate.load < slot.load)) slot = candidate
    if (!key || !slot) return
    const handle = ++this.#handles
    slot.give(handle, key)
    connection.sealLease = { slot, handle }
  }

  /** The connection closed: its worker forgets its key. */
  detach(connection: ServerConnection): void {
    const lease = connection.sealLease
    if (!lease) return
    connection.sealLease = null
    lease.slot.forget(lease.handle)
  }

  /**
   * `sealAndSend` with the cipher in the workers: each recipient's place is taken now, in a batch
   * bounded as there, and each worker gets one job per batch. Returns how many frames were taken
   * (they are written as their workers answer, or, for a socket closed meanwhile, not at all).
   */
  fanOut(recipients: readonly ServerConnection[], message: OutgoingMessage): number {
    const batchSize = fanOutBatchSize(message.byteLength)
    let taken = 0
    for (let start = 0; start < recipients.length; start += batchSize) {
      const jobs = new Map<WorkerSlot, { seals: PendingSeal[]; handles: number[] }>()
      const end = Math.min(recipients.length, start + batchSize)
      for (let i = start; i < end; i++) {
        const connection = recipients[i]!
        const pending = connection.reserve(message)
        if (!pending) continue
        taken++
        const lease = connection.sealLease
        if (!lease?.slot.alive) {
          this.#sealedHere++
          pending.complete(pending.sealHere())
          continue
        }
        let job = jobs.get(lease.slot)
        if (!job) jobs.set(lease.slot, (job = { seals: [], handles: [] }))
        job.seals.push(pending)
        job.handles.push(lease.handle)
      }
      for (const [slot, job] of jobs) slot.seal(++this.#jobs, job.seals, job.handles)
    }
    return taken
  }

  /** For tests: the keys all workers hold now. @internal */
  async keysHeld(): Promise<number> {
    const counts = await Promise.all(this.#slots.map((slot) => slot.keysHeld(++this.#jobs)))
    return counts.reduce((sum, count) => sum + count, 0)
  }

  /** Fan-out frames the main thread sealed because a worker could not (metrics, tests). */
  get sealedHere(): number {
    return this.#slots.reduce((sum, slot) => sum + slot.sealedHere, this.#sealedHere)
  }

  /** Fan-out frames the workers sealed (metrics, tests). */
  get sealedThere(): number {
    return this.#slots.reduce((sum, slot) => sum + slot.sealedThere, 0)
  }

  /** For tests: worker `index` crashes (`throw`: once it read what was posted so far). @internal */
  crash(index: number, how: 'throw' | 'terminate' = 'throw'): void {
    this.#slots[index]?.crash(how)
  }

  /** How many workers run now (metrics, tests). */
  get running(): number {
    return this.#slots.filter((slot) => slot.alive).length
  }

  /** Workers started again after one died (metrics). */
  get restarts(): number {
    return this.#slots.reduce((sum, slot) => sum + Math.max(0, slot.started - 1), 0)
  }

  /** Terminates every worker (what they had not answered is sealed here first). */
  async close(): Promise<void> {
    await Promise.all(this.#slots.map((slot) => slot.stop()))
  }
}
