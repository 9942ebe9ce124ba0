import { createHmac } from 'node:crypto'
import fc from 'fast-check'
import { jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  createHs256Verification,
  verifiedClaims,
  verifyClientToken,
  type Hs256Options,
  type VerifiedToken,
} from '../src/auth'

// The sync node:crypto verifier against the jose path it replaced, token for token: same accept or
// refuse, same error code, same expired / invalid classification, same user and expiry.

const SECRET = 'a-test-secret-of-at-least-32-bytes!'
const NOW = 1_800_000_000 // seconds; Date is frozen here so both sides read the same clock
const ISSUER = 'https://issuer.example'
const AUDIENCE = 'api://encrypted-socket'

/** The verification before this change, verbatim: jose's `jwtVerify` with a Web Crypto key. */
function joseVerification({ secret, issuer, audience, requireExpiry = true }: Hs256Options) {
  const key = crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['verify'],
  )
  return async (token: string): Promise<VerifiedToken> => {
    const { payload } = await jwtVerify(token, await key, {
      algorithms: ['HS256'],
      ...(requireExpiry ? { requiredClaims: ['exp'] } : {}),
      ...(issuer === undefined ? {} : { issuer }),
      ...(audience === undefined ? {} : { audience }),
    })
    return verifiedClaims(payload)
  }
}

const OPTION_SETS: Hs256Options[] = [true, false].flatMap((requireExpiry) =>
  [undefined, ISSUER].flatMap((issuer) =>
    [undefined, AUDIENCE].map((audience) => ({ secret: SECRET, requireExpiry, issuer, audience })),
  ),
)
const VERIFIERS = OPTION_SETS.map((options) => ({
  options,
  sync: createHs256Verification(options),
  jose: joseVerification(options),
}))

const b64url = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64url')
const sign = (input: string, secret: string, hash = 'sha256') =>
  createHmac(hash, secret).update(input, 'latin1').digest('base64url')

// ---- headers -------------------------------------------------------------------------------
/** Mostly `usual`, sometimes one of `odd`: keeps a good share of tokens that jose accepts. */
const mostly = <T>(usual: fc.Arbitrary<T>, ...odd: T[]) =>
  fc.oneof({ weight: 6, arbitrary: usual }, { weight: 1, arbitrary: fc.constantFrom(...odd) })
const ABSENT = Symbol('absent')
const alg = mostly<unknown>(
  fc.constant('HS256'),
  'none',
  'HS384',
  'HS512',
  'RS256',
  'ES256',
  'hs256',
  'HS256 ',
  '',
  null,
  1,
  true,
  ['HS256'],
  { alg: 'HS256' },
  ABSENT,
)
const crit = mostly<unknown>(
  fc.constant(ABSENT),
  [],
  ['b64'],
  ['exp'],
  'b64',
  [''],
  ['b64', 'b64'],
  ['b64', 'x'],
  null,
  [1],
)
const headerObject = fc
  .record({
    alg,
    typ: mostly<unknown>(fc.constantFrom(ABSENT, 'JWT'), 'jwt', 'at+jwt', 1),
    kid: mostly<unknown>(fc.constant(ABSENT), 'k1', '', null),
    crit,
    b64: mostly<unknown>(fc.constant(ABSENT), true, false, 'false', 0, null),
    extra: mostly<unknown>(fc.constant(ABSENT), ...['x', 1, [], {}, null]),
  })
  .map((header) => Object.fromEntries(Object.entries(header).filter(([, value]) => value !== ABSENT)))
const headerJson = fc.oneof(
  { weight: 12, arbitrary: headerObject.map((h) => JSON.stringify(h)) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '[]',
      '"HS256"',
      '1',
      'null',
      '',
      '{',
      '{"alg":"HS256"',
      '\uFEFF{"alg":"HS256"}',
      ' {"alg":"HS256"} ',
      '{"alg":"HS256","alg":"none"}',
      '{"alg":"none","alg":"HS256"}',
      '{"__proto__":{"alg":"HS256"}}',
      '{"alg":"HS256","__proto__":{"crit":["b64"]}}',
    ),
  },
)

// ---- claims (as JSON text, so numbers JSON.parse turns into Infinity can be written) ---------
const at = (d: number) => String(NOW + d)
const numericText = mostly<string | typeof ABSENT>(
  fc.oneof(
    fc.constant(ABSENT),
    fc.integer({ min: -3, max: 3 }).map(at),
    fc.constantFrom(at(3600), at(-3600)),
  ),
  '0',
  '-1',
  '1e400',
  '-1e400',
  '1e300',
  `${NOW}.5`,
  `${NOW - 1}.5`,
  `${NOW}.0`,
  '9007199254740993',
  '"1900000000"',
  'null',
  'true',
  '[1900000000]',
  '{}',
)
const claimsJson = fc
  .record({
    sub: mostly<string | typeof ABSENT>(
      fc.constantFrom('"ana"', '"ben"', '"😀 u"'),
      '""',
      '1',
      'null',
      '["ana"]',
      '{}',
      ABSENT,
    ),
    exp: numericText,
    nbf: mostly<string | typeof ABSENT>(
      fc.constant(ABSENT),
      at(0),
      at(1),
      at(-1),
      `${NOW}.5`,
      '1e400',
      '"0"',
    ),
    iat: mostly<string | typeof ABSENT>(
      fc.constantFrom(ABSENT, at(0), at(-60), at(60)),
      '"0"',
      'null',
      '-1e400',
    ),
    iss: mostly<string | typeof ABSENT>(
      fc.constantFrom(ABSENT, JSON.stringify(ISSUER)),
      '"https://other.example"',
      JSON.stringify(ISSUER + '/'),
      'null',
      `[${JSON.stringify(ISSUER)}]`,
    ),
    aud: mostly<string | typeof ABSENT>(
      fc.constantFrom(
        ABSENT,
        JSON.stringify(AUDIENCE),
        `[${JSON.stringify(AUDIENCE)}]`,
        `["other",${JSON.stringify(AUDIENCE)}]`,
      ),
      '"other"',
      '["other"]',
      '[]',
      `[1,${JSON.stringify(AUDIENCE)}]`,
      '1',
      'null',
    ),
    jti: mostly<string | typeof ABSENT>(fc.constant(ABSENT), '"j"', '1'),
  })
  .map(
    (claims) =>
      `{${Object.entries(claims)
        .filter(([, text]) => text !== ABSENT)
        .map(([name, text]) => `${JSON.stringify(name)}:${text as string}`)
        .join(',')}}`,
  )
const payloadBytes = fc.oneof(
  { weight: 14, arbitrary: claimsJson.map((text) => Buffer.from(text)) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(
        '[]',
        '"ana"',
        '1',
        'null',
        '',
        '{"sub":"ana",',
        `\uFEFF{"sub":"ana","exp":${NOW + 60}}`,
        ` {"sub":"ana","exp":${NOW + 60}} `,
      )
      .map((t) => Buffer.from(t)),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      Buffer.from([0x7b, 0xff, 0x7d]),
      Buffer.from('{"sub":"\xe9"}', 'latin1'),
      Buffer.from([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf, 0x7b, 0x7d]),
    ),
  },
)

// ---- encodings and tampering ---------------------------------------------------------------
const WHITESPACE = [' ', '\n', '\t', '\r', '\f', '\v', '\u00a0']
const B64URL_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
/** Changes one encoded part: applied before signing (is the odd encoding accepted?) or after (tampering). */
const partEdit = fc.oneof(
  { weight: 60, arbitrary: fc.constant((s: string) => s) },
  ...[
    fc.constantFrom('=', '==', '===', '====').map((pad) => (s: string) => s + pad),
    fc.tuple(fc.nat(), fc.constantFrom(...WHITESPACE)).map(
      ([at, ws]) =>
        (s: string) =>
          insert(s, at, ws),
    ),
    fc.tuple(fc.nat(), fc.constantFrom('=', '+', '/', '.', '..', 'é', '\u0000', '%')).map(
      ([at, c]) =>
        (s: string) =>
          insert(s, at, c),
    ),
    fc.nat().map(
      (at) => (s: string) =>
        s
          .replace(/-/g, '+')
          .replace(/_/g, '/')
          .slice(0, at === 0 ? undefined : s.length),
    ),
    fc.tuple(fc.nat(), fc.nat({ max: 63 })).map(
      ([at, c]) =>
        (s: string) =>
          s.length === 0 ? s : replaceAt(s, at % s.length, B64URL_CHARS[c]!),
    ),
    fc.nat().map((at) => (s: string) => s.slice(0, s.length === 0 ? 0 : at % s.length)),
    fc.nat().map((bit) => (s: string) => flipDecodedBit(s, bit)),
    fc.constant(() => ''),
  ].map((arbitrary) => ({ weight: 1, arbitrary })),
)
const tokenCase = fc.record({
  header: headerJson,
  payload: payloadBytes,
  signWith: fc.oneof(
    { weight: 10, arbitrary: fc.constant({ secret: SECRET, hash: 'sha256' }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        { secret: 'another-secret-of-at-least-32-bytes', hash: 'sha256' },
        { secret: SECRET, hash: 'sha384' },
        { secret: SECRET, hash: 'sha512' },
        { secret: '', hash: 'sha256' },
        { secret: SECRET, hash: 'none' },
      ),
    },
  ),
  beforeSigning: fc.tuple(partEdit, partEdit),
  afterSigning: fc.tuple(partEdit, partEdit, partEdit),
  shape: fc.oneof(
    { weight: 12, arbitrary: fc.constant((t: string) => t) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        (t: string) => `${t}.`,
        (t: string) => `.${t}`,
        (t: string) => t.replace('.', '..'),
        (t: string) => t.split('.').slice(0, 2).join('.'),
        (t: string) => ` ${t}`,
        (t: string) => `${t}\n`,
        (t: string) => `Bearer ${t}`,
        (t: string) => t.replace(/\.[^.]*$/, '.'),
        () => '',
        (t: string) => `${t}.${t.split('.')[2]}`,
      ),
    },
  ),
  verifier: fc.nat({ max: VERIFIERS.length - 1 }),
})

function insert(s: string, at: number, text: string): string {
  const i = at % (s.length + 1)
  return s.slice(0, i) + text + s.slice(i)
}
function replaceAt(s: string, i: number, c: string): string {
  return s.slice(0, i) + c + s.slice(i + 1)
}
function flipDecodedBit(s: string, bit: number): string {
  const bytes = Buffer.from(s, 'base64url')
  if (bytes.length === 0) return s
  const i = bit % (bytes.length * 8)
  bytes[i >> 3]! ^= 1 << (i & 7)
  return b64url(bytes)
}

type TokenCase = typeof tokenCase extends fc.Arbitrary<infer T> ? T : never
function buildToken(c: TokenCase): string {
  const header = c.beforeSigning[0](b64url(c.header))
  const payload = c.beforeSigning[1](b64url(c.payload))
  const input = `${header}.${payload}`
  const signature =
    c.signWith.hash === 'none' ? '' : sign(input, c.signWith.secret || '\u0000', c.signWith.hash)
  return c.shape(`${c.afterSigning[0](header)}.${c.afterSigning[1](payload)}.${c.afterSigning[2](signature)}`)
}

type Outcome = { accepted: VerifiedToken } | { code: unknown; name: string }
async function outcome(
  verify: (token: string) => VerifiedToken | Promise<VerifiedToken>,
  token: string,
): Promise<Outcome> {
  try {
    return { accepted: await verify(token) }
  } catch (error) {
    return { code: (error as { code?: unknown }).code, name: (error as Error).constructor.name }
  }
}

const seen = new Map<string, number>()
const count = (key: string) => seen.set(key, (seen.get(key) ?? 0) + 1)

describe('HS256: the sync node:crypto verifier against jose', () => {
  beforeAll(() => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(NOW * 1000 + 500)
  })
  afterAll(() => {
    vi.useRealTimers()
  })

  it('verifies synchronously (no promise, no thread-pool hop)', () => {
    const verify = createHs256Verification({ secret: SECRET })
    const header = b64url('{"alg":"HS256","typ":"JWT"}')
    const payload = b64url(`{"sub":"ana","exp":${NOW + 60}}`)
    const result = verify(`${header}.${payload}.${sign(`${header}.${payload}`, SECRET)}`)
    expect(result).toEqual({ userId: 'ana', expiresAt: (NOW + 60) * 1000 })
    expect(() => verify(`${header}.${payload}.${sign(`${header}.${payload}`, 'wrong')}`)).toThrow(
      expect.objectContaining({ code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' }),
    )
  })

  it('accepts and refuses what jose does, with the same code, classification, user and expiry (random tokens, tampered)', async () => {
    await fc.assert(
      fc.asyncProperty(tokenCase, async (c) => {
        const token = buildToken(c)
        const { sync, jose } = VERIFIERS[c.verifier]!
        const [mine, theirs] = await Promise.all([outcome(sync, token), outcome(jose, token)])
        expect(mine).toEqual(theirs)
        // What the v1 and v2 handshakes make of it: accepted user, or refused expired / invalid + the logged reason.
        expect(await verifyClientToken(sync, token)).toEqual(await verifyClientToken(jose, token))
        count('accepted' in theirs ? 'accepted' : String(theirs.code))
      }),
      { numRuns: 6000 },
    )
    // The run reached every outcome, so the agreement above means something.
    for (const outcome of [
      'accepted',
      'ERR_JWS_INVALID',
      'ERR_JOSE_ALG_NOT_ALLOWED',
      'ERR_JOSE_NOT_SUPPORTED',
      'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
      'ERR_JWT_INVALID',
      'ERR_JWT_EXPIRED',
      'ERR_JWT_CLAIM_VALIDATION_FAILED',
      'ERR_JWT_NO_SUBJECT',
    ]) {
      expect(seen.get(outcome) ?? 0, `${outcome} in ${JSON.stringify([...seen])}`).toBeGreaterThan(10)
    }
  }, 120_000)

  it('agrees on the edges: exp and nbf at the current second, padding, whitespace, an empty secret', async () => {
    const header = b64url('{"alg":"HS256"}')
    const cases: Array<[Hs256Options, string, string]> = []
    for (const claims of [
      `{"sub":"ana","exp":${NOW}}`,
      `{"sub":"ana","exp":${NOW + 1}}`,
      `{"sub":"ana","exp":${NOW}.9}`,
      `{"sub":"ana","exp":${NOW + 1},"nbf":${NOW}}`,
      `{"sub":"ana","exp":${NOW + 1},"nbf":${NOW + 1}}`,
      `{"sub":"ana","exp":${NOW + 1},"nbf":${NOW}.5}`,
      `{"sub":"ana","exp":1e400}`,
      `{"sub":"ana","exp":-1e400}`,
      `{"sub":"ana"}`,
    ]) {
      for (const edit of [(s: string) => s, (s: string) => `${s}==`, (s: string) => ` ${s}\n`]) {
        const payload = edit(b64url(claims))
        for (const options of [
          { secret: SECRET },
          { secret: SECRET, requireExpiry: false },
          { secret: '' },
        ]) {
          cases.push([
            options,
            `${header}.${payload}.${sign(`${header}.${payload}`, options.secret || '\u0000')}`,
            claims,
          ])
        }
      }
    }
    for (const [options, token] of cases) {
      const [sync, jose] = [createHs256Verification(options), joseVerification(options)]
      expect(await verifyClientToken(sync, token)).toEqual(await verifyClientToken(jose, token))
      // jose's refusal of an empty secret is Web Crypto's DataError, not a JOSE error: compared above only.
      if (options.secret) expect(await outcome(sync, token)).toEqual(await outcome(jose, token))
    }
  })
})
