import { describe, expect, it } from 'vitest'
import { sealAndSend, type Recipient } from '../src/fanOut'

/** Fake recipients that record the order of seals and writes. */
function recipients(count: number, { closed = new Set<number>(), failing = new Set<number>() } = {}) {
  const log: string[] = []
  const list: Recipient[] = Array.from({ length: count }, (_, i) => ({
    seal: () => (log.push(`seal ${i}`), closed.has(i) ? null : `frame ${i}`),
    write: (frame) => (log.push(`write ${frame.slice(6)}`), !failing.has(i)),
  }))
  return { list, log }
}

describe('fan-out', () => {
  it('seals a batch, then writes it back to back; every recipient once, in order', () => {
    const { list, log } = recipients(600)
    expect(sealAndSend(list, new Uint8Array(100))).toBe(600)
    const expected = [0, 256, 512].flatMap((start) => {
      const batch = Array.from({ length: Math.min(256, 600 - start) }, (_, i) => start + i)
      return [...batch.map((i) => `seal ${i}`), ...batch.map((i) => `write ${i}`)]
    })
    expect(log).toEqual(expected)
  })

  it('holds at most about 1 MiB of plaintext: a large message alternates seal and write', () => {
    const { list, log } = recipients(3)
    sealAndSend(list, new Uint8Array(1024 * 1024 + 1))
    expect(log).toEqual(['seal 0', 'write 0', 'seal 1', 'write 1', 'seal 2', 'write 2'])
    const medium = recipients(5)
    sealAndSend(medium.list, new Uint8Array(512 * 1024))
    expect(medium.log).toEqual([
      'seal 0',
      'seal 1',
      'write 0',
      'write 1',
      'seal 2',
      'seal 3',
      'write 2',
      'write 3',
      'seal 4',
      'write 4',
    ])
  })

  it('counts only what was written: not closed connections, not sockets closed in between', () => {
    const { list, log } = recipients(4, { closed: new Set([1]), failing: new Set([2]) })
    expect(sealAndSend(list, new Uint8Array(10))).toBe(2)
    expect(log.filter((line) => line.startsWith('write'))).toEqual(['write 0', 'write 2', 'write 3'])
  })
})
