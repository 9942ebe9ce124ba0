import { Worker } from 'node:worker_threads'
import type { ServerLogger } from '../logger'
import type { PendingSeal, SealedFrame, WorkerKey } from '../protocol'
import type { FromSealWorker, ToSealWorker } from './sealMessages'

/** A worker that died this many times within `RESTART_WINDOW_MS` is not started again. */
const MAX_STARTS = 4
const RESTART_WINDOW_MS = 60_000

/**
 * One seal worker thread and what it was given: the keys of its connections (kept here too, to
 * give a restarted worker) and the jobs it has not answered. When the worker dies, every job it
 * had not answered is sealed on the main thread, in the order the jobs were posted (nothing lost,
 * nothing twice: a job is answered once, by the worker or here), and a new worker is started with
 * the same keys, unless it died `MAX_STARTS` times within a minute: then this slot's connections
 * are sealed on the main thread until they close.
 */
export class WorkerSlot {
  readonly index: number
  readonly #script: string
  readonly #logger: ServerLogger
  #worker: Worker | null = null
  readonly #keys = new Map<number, WorkerKey>()
  readonly #jobs = new Map<number, PendingSeal[]>()
  readonly #counts = new Map<number, (keys: number) => void>()
  readonly #starts: number[] = []
  #stopped = false
  /** Frames this slot had the main thread seal (a dead worker's jobs, or a handle it did not know). */
  sealedHere = 0
  /** Workers started in this slot (the first, then each replacement). */
  started = 0
  /** Frames its workers sealed. */
  sealedThere = 0

  constructor(index: number, script: string, logger: ServerLogger) {
    this.index = index
    this.#script = script
    this.#logger = logger
    this.#start()
  }

  /** Whether a worker runs (else this slot's connections are sealed on the main thread). */
  get alive(): boolean {
    return this.#worker !== null
  }

  /** How many connections' keys this slot holds. */
  get load(): number {
    return this.#keys.size
  }

  /** Gives the worker a connection's key under `handle`. */
  give(handle: number, key: WorkerKey): void {
    this.#keys.set(handle, key)
    this.#post(keyMessage(handle, key))
  }

  /** The connection closed: the worker forgets its key (after the jobs posted before). */
  forget(handle: number): void {
    if (this.#keys.delete(handle)) this.#post({ type: 'forget', handle })
  }

  /** Posts one job: `seals[i]` under the key of `handles[i]`; each is completed exactly once. */
  seal(job: number, seals: PendingSeal[], handles: number[]): void {
    if (!this.#worker) {
      for (const pending of seals) this.#complete(pending, pending.sealHere())
      this.sealedHere += seals.length
      return
    }
    const plaintexts: Uint8Array[] = []
    const index = new Map<Uint8Array, number>()
    const items = new Float64Array(3 * seals.length)
    for (let i = 0; i < seals.length; i++) {
      const { plaintext, counter } = seals[i]!
      let at = index.get(plaintext)
      if (at === undefined) index.set(plaintext, (at = plaintexts.push(exact(plaintext)) - 1))
      items[3 * i] = handles[i]!
      items[3 * i + 1] = counter
      items[3 * i + 2] = at
    }
    this.#jobs.set(job, seals)
    this.#post({ type: 'seal', job, plaintexts, items }, [items.buffer])
  }

  /** How many keys the worker holds now (0 when none runs). */
  keysHeld(job: number): Promise<number> {
    if (!this.#worker) return Promise.resolve(0)
    return new Promise((resolve) => {
      this.#counts.set(job, resolve)
      this.#post({ type: 'count', job })
    })
  }

  /**
   * For tests: the worker throws once it read what was posted so far (`throw`), or is terminated
   * now (`terminate`); either way it is then replaced, or not, as after any crash.
   */
  crash(how: 'throw' | 'terminate'): void {
    if (how === 'throw') this.#post({ type: 'crash' })
    else void this.#worker?.terminate()
  }

  /** Terminates the worker; what it had not answered is sealed here first. Not restarted. */
  async stop(): Promise<void> {
    this.#stopped = true
    const worker = this.#worker
    this.#worker = null
    this.#sealWhatWaits()
    this.#keys.clear()
    await worker?.terminate()
  }

  #start(): void {
    const now = Date.now()
    while (this.#starts.length > 0 && now - this.#starts[0]! > RESTART_WINDOW_MS) this.#starts.shift()
    if (this.#starts.length >= MAX_STARTS) {
      this.#logger.error(
        'seal worker not restarted: it failed too often; its connections are sealed on the main thread',
        {
          worker: this.index,
        },
      )
      return
    }
    this.#starts.push(now)
    this.started++
    const worker = new Worker(this.#script)
    this.#worker = worker
    worker.on('message', (message: FromSealWorker) => {
      if (worker === this.#worker) this.#answered(message)
    })
    worker.on('error', (error) => {
      this.#logger.error('seal worker failed', { worker: this.index, error: String(error) })
    })
    worker.on('exit', (code) => {
      if (worker !== this.#worker) return // stopped, or already replaced
      this.#worker = null
      this.#logger.error('seal worker exited', { worker: this.index, code, pending: this.#jobs.size })
      this.#sealWhatWaits()
      if (!this.#stopped) this.#start()
    })
    for (const [handle, key] of this.#keys) this.#post(keyMessage(handle, key))
  }

  #answered(message: FromSealWorker): void {
    if (message.type === 'count') {
      this.#counts.get(message.job)?.(message.keys)
      this.#counts.delete(message.job)
      return
    }
    const seals = this.#jobs.get(message.job)
    if (!seals) return
    this.#jobs.delete(message.job)
    const { texts, packed, offsets } = message
    for (let i = 0; i < seals.length; i++) {
      const pending = seals[i]!
      const text = texts[i]
      const length = offsets[2 * i + 1]!
      let frame: SealedFrame | undefined
      if (text !== null && text !== undefined) frame = text
      else if (length >= 0)
        frame = { n: pending.counter, bytes: Buffer.from(packed, offsets[2 * i]!, length) }
      if (frame) this.sealedThere++
      else {
        this.sealedHere++
        frame = pending.sealHere()
      }
      this.#complete(pending, frame)
    }
  }

  /** Seals every job not answered on this thread, in the order they were posted. */
  #sealWhatWaits(): void {
    const jobs = [...this.#jobs.values()]
    this.#jobs.clear()
    for (const seals of jobs) {
      for (const pending of seals) {
        this.sealedHere++
        this.#complete(pending, pending.sealHere())
      }
    }
    for (const resolve of this.#counts.values()) resolve(0)
    this.#counts.clear()
  }

  /** Writes one frame; a failure is logged and the next frames still go out. */
  #complete(pending: PendingSeal, frame: SealedFrame): void {
    try {
      pending.complete(frame)
    } catch (error) {
      this.#logger.error('fan-out write failed', { worker: this.index, error: String(error) })
    }
  }

  #post(message: ToSealWorker, transfer: ArrayBuffer[] = []): void {
    this.#worker?.postMessage(message, transfer)
  }
}

function keyMessage(handle: number, key: WorkerKey): ToSealWorker {
  return {
    type: 'key',
    handle,
    protocol: key.protocol,
    key: key.key,
    ivPrefix: key.protocol === 1 ? key.ivPrefix : 0,
  }
}

/**
 * The bytes alone: a view's whole buffer would be copied to the worker (a Buffer from Node's pool
 * shares its buffer with unrelated data).
 */
function exact(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice()
}
