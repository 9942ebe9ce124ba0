import { describe, expect, it, vi } from 'vitest'
import { base64Backends } from '../../test/base64Backends'

const reference = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64')
// A byte comparison: deep equality of megabyte arrays would dominate the test's time.
const hex = (bytes: Uint8Array | undefined) => bytes && Buffer.from(bytes).toString('hex')

function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(length)
  for (let i = 0; i < length; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536))
  return bytes
}

describe.each(base64Backends)(
  'base64 through %s',
  (_name, { encodeBase64: encode, decodeBase64: decode }) => {
    it('matches a reference encoder on random lengths 0..4096, every tail length included', () => {
      const lengths = [0, 1, 2, 3, 4, 5, 6, 4094, 4095, 4096]
      for (let i = 0; i < 300; i++) lengths.push(Math.floor(Math.random() * 4097))
      for (const length of lengths) {
        const bytes = randomBytes(length)
        const text = encode(bytes)
        expect(text).toBe(reference(bytes))
        expect(hex(decode(text))).toBe(hex(bytes))
      }
      expect(new Set(lengths.map((length) => length % 3))).toEqual(new Set([0, 1, 2]))
    })

    it('round-trips 1 MiB and every byte value', () => {
      const big = randomBytes(1024 * 1024 + 1)
      expect(hex(decode(encode(big)))).toBe(hex(big))
      const all = Uint8Array.from({ length: 256 }, (_, i) => i)
      expect(encode(all)).toBe(reference(all))
    })

    it.each([
      ['a length that is not a multiple of 4', 'QUJD RA'.replace(' ', '')],
      ['missing padding', 'QQ'],
      ['a space', 'QUJD REVG'],
      ['a newline', 'QUJD\nREVG'],
      ['a trailing newline', 'QUJDREVG\n'],
      ['a tab inside a quad', 'QU\tJDREV'],
      ['a URL-safe character', 'QUJD-_=='],
      ['a non-alphabet character', 'QUJ*'],
      ['a non-ASCII character', 'QUJé'],
      ['a character above U+00FF', 'QUJ\u0141'],
      ['padding in the middle', 'QQ==QUJD'],
      ['padding inside the last quad', 'QQ=A'],
      ['three padding characters', 'Q==='],
      ['four padding characters', '===='],
      ['non-zero trailing bits after one byte', 'QR=='],
      ['non-zero trailing bits after two bytes', 'QUI='.replace('I', 'J')],
    ])('rejects %s', (_reason, text) => {
      expect(decode(text)).toBeUndefined()
    })

    it('accepts the canonical forms next to the rejected ones', () => {
      expect(decode('')).toEqual(new Uint8Array(0))
      expect(decode('QQ==')).toEqual(new Uint8Array([0x41]))
      expect(decode('QUI=')).toEqual(new Uint8Array([0x41, 0x42]))
      expect(decode('QUJD')).toEqual(new Uint8Array([0x41, 0x42, 0x43]))
    })
  },
)

describe('base64 backends', () => {
  it('the atob/btoa backend really runs on atob and btoa', () => {
    const [, portable] = base64Backends[1]!
    const atob = vi.spyOn(globalThis, 'atob')
    const btoa = vi.spyOn(globalThis, 'btoa')
    try {
      expect(portable.decodeBase64(portable.encodeBase64(new Uint8Array([1, 2, 3])))).toEqual(
        new Uint8Array([1, 2, 3]),
      )
      expect(atob).toHaveBeenCalled()
      expect(btoa).toHaveBeenCalled()
    } finally {
      atob.mockRestore()
      btoa.mockRestore()
    }
  })
})

describe('decoded bytes own their buffer', () => {
  it.each(base64Backends)(
    '%s: a small decode is not a view into a shared pool',
    (_name, { decodeBase64 }) => {
      Buffer.from('{"token":"a secret that sits in the pool"}') // fills part of Node's shared pool
      const bytes = decodeBase64('AAECAwQFBgcICQoL')!
      expect(bytes.length).toBe(12)
      expect(bytes.byteOffset).toBe(0)
      expect(bytes.buffer.byteLength).toBe(12)
    },
  )
})
