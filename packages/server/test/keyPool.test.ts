import { describe, expect, it, vi } from 'vitest'
import { generateServerKeyPair } from '../src/crypto/serverKeyPair'
import { KeyPool } from '../src/keyPool'

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve))

describe('the ephemeral key pool', () => {
  it('hands every key pair out once: fresh public keys, even when taken faster than it refills', async () => {
    const pool = new KeyPool(4)
    await nextTurn()
    const taken = Array.from({ length: 12 }, () => pool.take())
    await nextTurn()
    taken.push(...Array.from({ length: 6 }, () => pool.take()))
    expect(new Set(taken).size).toBe(taken.length)
    expect(new Set(taken.map((keys) => Buffer.from(keys.publicKey).toString('hex'))).size).toBe(taken.length)
    for (const keys of taken) expect(keys.publicKey).toHaveLength(65)
  })

  it('makes key pairs ahead of time, off the taker’s turn, and a pair synchronously when empty', async () => {
    const generate = vi.fn(generateServerKeyPair)
    const pool = new KeyPool(3, generate)
    expect(generate).toHaveBeenCalledTimes(0)
    await nextTurn()
    expect(generate).toHaveBeenCalledTimes(3)
    pool.take()
    expect(generate).toHaveBeenCalledTimes(3) // from the pool
    await nextTurn()
    expect(generate).toHaveBeenCalledTimes(4) // refilled afterwards
    for (let i = 0; i < 4; i++) pool.take()
    expect(generate).toHaveBeenCalledTimes(5) // the fourth was made on the spot
  })
})
