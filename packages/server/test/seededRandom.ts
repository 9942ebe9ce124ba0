/** A small seeded generator (mulberry32), so that a failing run can be repeated (its seed is in the message). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
}

/** 1, 2, … n. */
export const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1)
