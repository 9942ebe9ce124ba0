// The replay set of a v1 session (the server uses it too): IVs seen under one key, both ways.
/**
 * The IVs seen under the current session key, received and sent. One key serves both
 * directions, so a frame whose IV is already here is a replay or a reflection of our own frame.
 * Received IVs are remembered only once their frame decrypted, so garbage sent ahead of a real
 * frame cannot get the real one dropped.
 */
export class ReplayGuard {
  readonly #seen = new Set<string>()
  readonly #capacity: number

  constructor(capacity: number) {
    this.#capacity = capacity
  }

  seen(iv: Uint8Array): boolean {
    return this.#seen.has(ivKey(iv))
  }

  remember(iv: Uint8Array): void {
    this.#seen.add(ivKey(iv))
  }

  /** True when the window is full and the key should be replaced. */
  get full(): boolean {
    return this.#seen.size >= this.#capacity
  }

  clear(): void {
    this.#seen.clear()
  }
}

/** 12 bytes as a 12-character string: a compact, exact Set key. */
function ivKey(iv: Uint8Array): string {
  return String.fromCharCode(...iv)
}
