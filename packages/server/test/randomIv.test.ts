import { describe, expect, it } from 'vitest'
import { randomIv } from '../src/crypto/randomIv'

describe('random IVs', () => {
  it('hands out 12-byte IVs that never repeat and never change after they were handed out', () => {
    const first = randomIv()
    const copy = Buffer.from(first)
    const seen = new Set<string>()
    for (let i = 0; i < 5000; i++) seen.add(randomIv().toString('hex')) // crosses several batches
    expect(first).toHaveLength(12)
    expect(seen.size).toBe(5000)
    expect(seen.has(copy.toString('hex'))).toBe(false)
    expect(first.equals(copy)).toBe(true)
  })
})
