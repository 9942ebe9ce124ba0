import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
import { arbitraryFrame, check, mutations } from '../../test/fuzz'
import { mockClient, mockServer } from '../../test/helpers'
import { sealMessage } from '../protocol/message'

describe('fuzzing the client with v1 frames from the network', () => {
  it('delivers exactly the valid encrypted frames, in order, whatever else arrives; the connection stays usable', async () => {
    const server = mockServer({ protocol: 'v1' }) // the frames and mutants are v1's
    const client = mockClient(server.url)
    await client.connect()
    const connection = await server.nextConnection()
    const clientId = client.getClientId()
    const delivered: number[] = []
    client.on('seq', (n) => delivered.push(n as number))
    await connection.send('seq', -1) // confirms the key: later garbage cannot make the client re-key
    await vi.waitFor(() => expect(delivered).toEqual([-1]))
    let next = 0

    const step = fc.oneof(
      { arbitrary: fc.constant<'valid'>('valid'), weight: 2 },
      { arbitrary: arbitraryFrame, weight: 3 },
      { arbitrary: fc.constant<'mutated'>('mutated'), weight: 1 },
    )
    await check(
      'client frames',
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 12 }),
        fc.infiniteStream(fc.nat()),
        async (steps, seeds) => {
          delivered.length = 0
          const expected: number[] = []
          const randoms = seeds[Symbol.iterator]()
          for (const kind of steps) {
            if (kind === 'valid') {
              expected.push(next)
              await connection.send('seq', next++)
            } else if (kind === 'mutated') {
              const { frame } = await sealMessage(connection.key!, { event: 'seq', data: 'mutant' })
              const [mutant] = fc.sample(mutations(frame), {
                numRuns: 1,
                seed: randoms.next().value as number,
              })
              connection.sendRaw(mutant!)
            } else {
              connection.sendRaw(kind)
            }
          }
          const sentinel = next++
          expected.push(sentinel)
          await connection.send('seq', sentinel)
          await vi.waitFor(() => expect(delivered.at(-1)).toBe(sentinel), { timeout: 5000 })
          expect(delivered.filter((n) => typeof n === 'number')).toEqual(expected)
          expect(client.getState()).toBe('authenticated')
          expect(client.getClientId()).toBe(clientId)
          expect(({} as Record<string, unknown>).polluted).toBeUndefined()
        },
      ),
      process.env.FUZZ_RUNS ? Math.ceil(Number(process.env.FUZZ_RUNS) / 20) : 60,
    )
    expect(server.connections).toHaveLength(1)
  }, 600_000)
})
