import fc from 'fast-check'

/** Seeded runs in `npm test`; `pnpm fuzz` sets FUZZ_RUNS (and a random seed unless FUZZ_SEED). */
export const FUZZ = {
  numRuns: Number(process.env.FUZZ_RUNS ?? 300),
  seed: process.env.FUZZ_SEED
    ? Number(process.env.FUZZ_SEED)
    : process.env.FUZZ_RUNS
      ? Date.now() % 2 ** 31
      : 20261124,
}

/** Runs a property and reports how many cases ran (and the seed, to replay a failure). */
export async function check<T>(
  name: string,
  property: fc.IAsyncPropertyWithHooks<T> | fc.IPropertyWithHooks<T>,
  runs = FUZZ.numRuns,
) {
  const details = await fc.check(property as fc.IAsyncProperty<T>, { numRuns: runs, seed: FUZZ.seed })
  if (process.env.FUZZ_RUNS) console.log(`fuzz ${name}: ${details.numRuns} cases, seed ${FUZZ.seed}`)
  if (details.failed)
    throw new Error(
      `${name} failed after ${details.numRuns} cases (seed ${FUZZ.seed}): ${fc.defaultReportMessage(details)}`,
    )
}

/** Keys that could pollute prototypes if anything merged parsed objects carelessly. */
export const prototypeKeys = fc.constantFrom(
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
)

/** Valid-looking and invalid frames: arbitrary JSON, objects with protocol and prototype keys. */
export const arbitraryFrame = fc.oneof(
  fc.string(),
  fc.string().map((s) => `{"event":${JSON.stringify(s)}`),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc
    .record({
      event: fc.oneof(
        fc.constantFrom('encrypted', 'connected', 'error', 'heartbeat', 'join', 'leave', 'authenticate'),
        fc.string(),
        prototypeKeys,
        fc.integer(),
      ),
      data: fc.oneof(
        fc.jsonValue(),
        fc.dictionary(
          fc.oneof(
            fc.string(),
            prototypeKeys,
            fc.constantFrom(
              'iv',
              'ct',
              'rooms',
              'message',
              'code',
              'id',
              'userId',
              'salt',
              'serverPublicKey',
            ),
          ),
          fc.jsonValue(),
        ),
      ),
    })
    .map((frame) => JSON.stringify(frame)),
  fc
    .dictionary(prototypeKeys, fc.jsonValue())
    .map((o) => JSON.stringify({ event: 'x', ...o }).replace('"x"', '"__proto__"')),
  fc.integer({ min: 1, max: 60 }).map((depth) => '['.repeat(depth * 100) + ']'.repeat(depth * 100)),
  fc.constantFrom(
    '{"event":"x","data":1e999}',
    '{"event":"x","data":-0}',
    '{"event":"encrypted","data":{"iv":"AAAAAAAAAAAAAAAA","ct":"AAAAAAAAAAAAAAAAAAAAAA=="}}',
  ),
)

/** Mutations of a valid frame text: flipped characters, truncation, duplication, splicing. */
export function mutations(frame: string) {
  return fc.oneof(
    fc
      .tuple(fc.nat(frame.length - 1), fc.integer({ min: 1, max: 0x7f }))
      .map(([i, x]) => frame.slice(0, i) + String.fromCharCode(frame.charCodeAt(i) ^ x) + frame.slice(i + 1)),
    fc.nat(frame.length - 1).map((i) => frame.slice(0, i)),
    fc.constant(frame + frame),
    fc.tuple(fc.nat(frame.length), fc.string()).map(([i, s]) => frame.slice(0, i) + s + frame.slice(i)),
  )
}
