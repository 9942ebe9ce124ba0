// A typed event emitter whose listeners cannot break the emitter: a throwing one is reported.
type Listener = (payload: never) => void

/**
 * Named listeners, each `on()` returning its unsubscribe. A listener that throws is reported to
 * `onListenerError` and does not stop the others.
 */
export class Emitter<Events extends object> {
  readonly #listeners = new Map<string, Set<Listener>>()
  readonly #onListenerError: (event: string, error: unknown) => void

  constructor(onListenerError: (event: string, error: unknown) => void) {
    this.#onListenerError = onListenerError
  }

  on<K extends keyof Events & string>(event: K, listener: (payload: Events[K]) => void): () => void {
    let set = this.#listeners.get(event)
    if (!set) this.#listeners.set(event, (set = new Set()))
    set.add(listener as Listener)
    return () => this.off(event, listener)
  }

  /** Removes one listener, or every listener of the event when none is given. */
  off<K extends keyof Events & string>(event: K, listener?: (payload: Events[K]) => void): void {
    const set = this.#listeners.get(event)
    if (!set) return
    if (listener) set.delete(listener as Listener)
    if (!listener || set.size === 0) this.#listeners.delete(event)
  }

  offAll(): void {
    this.#listeners.clear()
  }

  emit<K extends keyof Events & string>(event: K, payload: Events[K]): void {
    const set = this.#listeners.get(event)
    if (!set) return
    for (const listener of [...set]) {
      try {
        ;(listener as (payload: Events[K]) => void)(payload)
      } catch (error) {
        this.#onListenerError(event, error)
      }
    }
  }

  listenerCount(event?: string): number {
    if (event !== undefined) return this.#listeners.get(event)?.size ?? 0
    let count = 0
    for (const set of this.#listeners.values()) count += set.size
    return count
  }
}
