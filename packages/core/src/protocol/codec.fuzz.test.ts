import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { arbitraryFrame, check, mutations } from '../../test/fuzz'
import { base64Backends, isCanonicalBase64 } from '../../test/base64Backends'
import { parseFrame } from './codec'
import { createEphemeralKeys, deriveSessionKey } from './handshake'
import { openMessage, sealMessage } from './message'

const TYPES = new Set([
  'authenticate',
  'connected',
  'error',
  'heartbeat',
  'join',
  'leave',
  'encrypted',
  'plaintext',
  'malformed',
])

describe('fuzzing the codec', () => {
  it('parseFrame never throws, returns a known type, and never pollutes prototypes', async () => {
    await check(
      'parseFrame',
      fc.property(fc.oneof(arbitraryFrame, fc.anything()), (input) => {
        const frame = parseFrame(input)
        expect(TYPES.has(frame.type)).toBe(true)
        expect(({} as Record<string, unknown>).polluted).toBeUndefined()
        expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'event')).toBe(false)
      }),
    )
  })

  it('decodeBase64 never throws and accepts only canonical text (decode → encode is the identity)', async () => {
    const text = fc.oneof(
      fc.string(),
      fc.base64String(),
      fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('base64')),
    )
    await check(
      'decodeBase64',
      fc.property(text, (input) => {
        for (const [, { decodeBase64: decode }] of base64Backends) {
          const bytes = decode(input)
          expect(bytes !== undefined).toBe(isCanonicalBase64(input))
          if (bytes) expect(Buffer.from(bytes).toString('base64')).toBe(input)
        }
      }),
    )
  })

  it(
    'a mutated encrypted frame either parses to the same bytes or never opens',
    { timeout: 600_000 },
    async () => {
      const client = await createEphemeralKeys()
      const server = await createEphemeralKeys()
      const salt = new Uint8Array(32)
      const key = await deriveSessionKey(client.privateKey, server.publicKey, salt, 'fuzz')
      const { frame } = await sealMessage(key, { event: 'pay', data: { amount: 10 } })
      await check(
        'mutated frames',
        fc.asyncProperty(mutations(frame), async (mutated) => {
          const parsed = parseFrame(mutated)
          if (parsed.type !== 'encrypted') return
          const opened = await openMessage(key, parsed.iv, parsed.ct).catch(
            (error: { code: string }) => error.code,
          )
          if (typeof opened === 'string') expect(['ERR_DECRYPT', 'ERR_MALFORMED_FRAME']).toContain(opened)
          else expect(opened).toEqual({ event: 'pay', data: { amount: 10 } })
        }),
        process.env.FUZZ_RUNS ? Math.ceil(Number(process.env.FUZZ_RUNS) / 5) : 200,
      )
    },
  )
})
