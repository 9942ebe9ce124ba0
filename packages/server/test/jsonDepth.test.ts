import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { jsonDepthExceeds } from '../src/jsonDepth'

/** The nesting depth of a parsed JSON value (a scalar is 0). */
function depth(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0
  const children = Array.isArray(value) ? value : Object.values(value)
  return 1 + Math.max(0, ...children.map(depth))
}

describe('jsonDepthExceeds', () => {
  it('agrees with the depth of the parsed value, as text and as UTF-8 bytes, at every limit', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.integer({ min: 0, max: 7 }), (value, limit) => {
        const text = JSON.stringify(value)
        const expected = depth(value) > limit
        expect(jsonDepthExceeds(text, limit)).toBe(expected)
        expect(jsonDepthExceeds(new TextEncoder().encode(text), limit)).toBe(expected)
      }),
      { seed: 20261201, numRuns: 500 },
    )
  })

  it('counts no bracket inside a string, even when there are more of them than the limit', () => {
    const text = JSON.stringify({ text: '[[[[{{{{', nested: { ok: '}}]]' } })
    expect(jsonDepthExceeds(text, 2)).toBe(false)
    expect(jsonDepthExceeds(text, 1)).toBe(true)
  })
})
