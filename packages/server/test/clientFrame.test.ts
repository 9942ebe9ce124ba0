import { encodeBase64, parseFrame } from '@encrypted-socket/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseClientFrame } from '../src/clientFrame'

const limits = { maxControlFrame: 1 << 20 }
const space = fc.constantFrom('', ' ', '\n', '\t ', '\r\n  ')
const bytes = (min: number) => fc.uint8Array({ minLength: min, maxLength: 64 })

/** An encrypted frame written in any JSON layout: key orders, whitespace, an escape or not. */
const encryptedFrame = fc
  .record({ iv: bytes(12), ct: bytes(16), ws: fc.array(space, { minLength: 12, maxLength: 12 }) })
  .chain(({ iv, ct, ws }) =>
    fc
      .record({
        ivFirst: fc.boolean(),
        eventFirst: fc.boolean(),
        event: fc.constantFrom('"encrypted"', '"encr\\u0079pted"', '"other"'),
      })
      .map(({ ivFirst, eventFirst, event }) => {
        const w = (i: number) => ws[i]!
        const ivPart = `"iv"${w(0)}:${w(1)}"${encodeBase64(iv)}"`
        const ctPart = `"ct"${w(2)}:${w(3)}"${encodeBase64(ct)}"`
        const data = `{${w(4)}${ivFirst ? ivPart : ctPart}${w(5)},${w(6)}${ivFirst ? ctPart : ivPart}${w(7)}}`
        const eventPart = `"event"${w(8)}:${w(9)}${event}`
        const dataPart = `"data"${w(10)}:${data}`
        return `${w(11)}{${eventFirst ? eventPart : dataPart},${eventFirst ? dataPart : eventPart}}`
      }),
  )

describe('parseClientFrame', () => {
  it('reads an encrypted frame in any layout exactly as the generic parser does', () => {
    fc.assert(
      fc.property(encryptedFrame, (text) => {
        expect(parseClientFrame(text, limits)).toEqual(parseFrame(text))
      }),
      { seed: 20261201, numRuns: 400 },
    )
  })

  it('leaves a string with an escape, or without its closing quote, to the generic parser', () => {
    const iv = encodeBase64(new Uint8Array(12))
    const ct = encodeBase64(new Uint8Array(16))
    for (const text of [
      `{"event":"encrypted","data":{"iv":"${iv}","ct":"${ct}\\"}}`,
      `{"event":"encrypted","data":{"iv":"${iv}","ct":"${ct}`,
      `{"event":"encrypted","data":{"iv":"${iv}","ct":"${ct}"},"x\\n":"y"}`,
    ]) {
      expect(parseClientFrame(text, limits)).toEqual(parseFrame(text))
    }
  })
})
