import { defaultShouldReconnect } from '@encrypted-socket/core'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'
import {
  createEncryptedSocketServer,
  createJwksVerification,
  createJwksVerifier,
  type ServerOptions,
} from '../src/index'
import { client, ECDH_INFO, onCleanup, SECRET, startServer, token, until } from './helpers'
import { startCli } from './cliProcess'
import { signingKey, startJwksServer, type JwksMode } from './jwksServer'

const ISSUER = 'https://id.example'
const AUDIENCE = 'desk'
const claims = (sub: string, more: Record<string, unknown> = {}) => ({
  sub,
  iss: ISSUER,
  aud: AUDIENCE,
  ...more,
})
const PROTOCOLS = ['v1', 'v2'] as const

/** The local identity provider, stopped after the test. */
async function identityProvider() {
  const jwks = await startJwksServer()
  onCleanup(() => jwks.close())
  return jwks
}

/** A server verifying tokens against `jwksUrl` (no HS256 secret); checks no token was logged. */
async function jwksServer(jwksUrl: string, options: Partial<ServerOptions> = {}) {
  const server = await startServer({
    jwtSecret: undefined,
    jwks: jwksUrl,
    jwtIssuer: ISSUER,
    jwtAudience: AUDIENCE,
    ...options,
  })
  return server
}

/** Whether any of `tokens` appears in the server's log lines. */
const logged = (lines: readonly string[], tokens: readonly string[]) =>
  tokens.some((jwt) => lines.some((line) => line.includes(jwt)))

describe('jwks: tokens from an identity provider', () => {
  it.each(
    PROTOCOLS.flatMap((protocol) =>
      (['RS256', 'ES256', 'EdDSA'] as const).map((alg) => [protocol, alg] as const),
    ),
  )(
    '%s: accepts an %s token signed by a key of the set, with sub as the user and exp as the expiry',
    async (protocol, alg) => {
      const jwks = await identityProvider()
      const key = await signingKey(alg, `${alg}-1`)
      jwks.keys = [key.jwk]
      const server = await jwksServer(jwks.url)
      const jwt = await key.sign(claims('ana'))
      const c = client(server.url, { protocol, token: jwt })
      await c.connect()
      expect(c.getUserId()).toBe('ana')
      expect(server.connections()[0]).toMatchObject({ userId: 'ana' })
      expect(jwks.requests).toBe(1)
      expect(logged(server.logger.lines, [jwt])).toBe(false)
    },
  )

  it('fetches the key set once for many tokens (cached), not per connection', async () => {
    const jwks = await identityProvider()
    const key = await signingKey('ES256', 'es-1')
    jwks.keys = [key.jwk]
    const server = await jwksServer(jwks.url)
    for (const [i, protocol] of [...PROTOCOLS, ...PROTOCOLS].entries()) {
      const c = client(server.url, { protocol, token: await key.sign(claims(`user-${i}`)) })
      await c.connect()
    }
    expect(jwks.requests).toBe(1)
  })

  describe.each(PROTOCOLS)('%s: refuses (1008, not retried)', (protocol) => {
    const refusals: [
      name: string,
      make: (keys: Keys) => Promise<string>,
      options?: Partial<ServerOptions>,
    ][] = [
      ['a wrong issuer', ({ rs }) => rs.sign(claims('ana', { iss: 'https://evil.example' }))],
      ['a wrong audience', ({ rs }) => rs.sign(claims('ana', { aud: 'another-app' }))],
      ['no audience', ({ rs }) => rs.sign({ sub: 'ana', iss: ISSUER })],
      ['an algorithm not allowed', ({ es }) => es.sign(claims('ana')), { jwtAlgorithms: ['RS256'] }],
      ['a key not in the set (unknown kid)', ({ stranger }) => stranger.sign(claims('ana'))],
      [
        'a key not in the set under a known kid',
        ({ stranger }) => stranger.sign(claims('ana'), { headerKid: 'rs-1' }),
      ],
      ['HS256 (a shared secret) with JWKS', () => token('ana', { issuer: ISSUER, audience: AUDIENCE })],
      ['a token without exp', ({ rs }) => rs.sign(claims('ana'), { expiresIn: null })],
      ['a token without sub', ({ rs }) => rs.sign({ iss: ISSUER, aud: AUDIENCE })],
    ]
    it.each(refusals)('%s', async (_name, make, options = {}) => {
      const jwks = await identityProvider()
      const keys = await makeKeys()
      jwks.keys = [keys.rs.jwk, keys.es.jwk]
      const server = await jwksServer(jwks.url, { jwksCooldown: 0, ...options })
      const jwt = await make(keys)
      const c = client(server.url, { protocol, token: jwt })
      await expect(c.connect()).rejects.toMatchObject({ code: 'ERR_REJECTED', closeCode: 1008 })
      expect(server.logger.lines.join('\n')).toContain('authentication refused')
      expect(logged(server.logger.lines, [jwt])).toBe(false)
    })
  })

  it('accepts a token without exp with allowTokensWithoutExpiry', async () => {
    const jwks = await identityProvider()
    const key = await signingKey('RS256', 'rs-1')
    jwks.keys = [key.jwk]
    const server = await jwksServer(jwks.url, { allowTokensWithoutExpiry: true })
    const c = client(server.url, {
      protocol: 'v2',
      token: await key.sign(claims('svc'), { expiresIn: null }),
    })
    await c.connect()
    expect(c.getUserId()).toBe('svc')
  })

  it('v2: an expired token is TOKEN_EXPIRED (4401), as with HS256', async () => {
    const jwks = await identityProvider()
    const key = await signingKey('ES256', 'es-1')
    jwks.keys = [key.jwk]
    const server = await jwksServer(jwks.url)
    const c = client(server.url, {
      protocol: 'v2',
      token: await key.sign(claims('ana'), { expiresIn: '-1m' }),
    })
    await expect(c.connect()).rejects.toMatchObject({ code: 'ERR_REJECTED', closeCode: 4401 })
  })

  it.each(PROTOCOLS)(
    '%s: key rotation: kid1 accepted, then the set holds only kid2: kid2 accepted, kid1 refused',
    async (protocol) => {
      const jwks = await identityProvider()
      const kid1 = await signingKey('RS256', 'kid1')
      const kid2 = await signingKey('RS256', 'kid2')
      jwks.keys = [kid1.jwk]
      const server = await jwksServer(jwks.url, { jwksCooldown: 0 })
      const first = client(server.url, { protocol, token: await kid1.sign(claims('ana')) })
      await first.connect()
      expect(jwks.requests).toBe(1)

      jwks.keys = [kid2.jwk] // the provider rotated: kid1 is retired
      const second = client(server.url, { protocol, token: await kid2.sign(claims('bea')) })
      await second.connect() // the unknown kid made the server fetch the set again
      expect(second.getUserId()).toBe('bea')
      expect(jwks.requests).toBe(2)

      const retired = client(server.url, { protocol, token: await kid1.sign(claims('ana')) })
      await expect(retired.connect()).rejects.toMatchObject({ code: 'ERR_REJECTED', closeCode: 1008 })
      expect(jwks.requests).toBe(3)
    },
  )

  it('within the cooldown an unknown kid is refused without fetching the set again', async () => {
    const jwks = await identityProvider()
    const kid1 = await signingKey('ES256', 'kid1')
    const kid2 = await signingKey('ES256', 'kid2')
    jwks.keys = [kid1.jwk]
    const server = await jwksServer(jwks.url, { jwksCooldown: 600_000 })
    await client(server.url, { protocol: 'v2', token: await kid1.sign(claims('ana')) }).connect()
    jwks.keys = [kid1.jwk, kid2.jwk]
    const early = client(server.url, { protocol: 'v2', token: await kid2.sign(claims('bea')) })
    await expect(early.connect()).rejects.toMatchObject({ closeCode: 1008 })
    expect(jwks.requests).toBe(1)
  })

  describe('an identity provider that cannot be reached is not a bad token', () => {
    const failures: [protocol: 'v1' | 'v2', mode: JwksMode, reason: string][] = [
      ['v1', 'down', 'TOKEN_VERIFIER_UNAVAILABLE: JWKS_UNREACHABLE'],
      ['v2', 'down', 'TOKEN_VERIFIER_UNAVAILABLE: JWKS_UNREACHABLE'],
      ['v1', 'hang', 'ERR_JWKS_TIMEOUT'],
      ['v2', 'hang', 'ERR_JWKS_TIMEOUT'],
      ['v2', 'http-503', 'TOKEN_VERIFIER_UNAVAILABLE: JWKS_HTTP_503'],
      ['v2', 'not-json', 'TOKEN_VERIFIER_UNAVAILABLE: JWKS_NOT_JSON'],
    ]
    it.each(failures)(
      '%s, key set %s: closes 1013 (retried), logs %s, and the retry succeeds once the set is back',
      async (protocol, mode, reason) => {
        const jwks = await identityProvider()
        const key = await signingKey('ES256', 'es-1')
        jwks.keys = [key.jwk]
        jwks.mode = mode
        const server = await jwksServer(jwks.url, { jwksTimeout: 200 })
        const jwt = await key.sign(claims('ana'))
        const closes: number[] = []
        const c = client(server.url, {
          protocol,
          token: jwt,
          reconnect: {
            interval: 20,
            jitter: 'none',
            maxRetries: Infinity,
            shouldReconnect: (close) => {
              closes.push(close.code)
              return defaultShouldReconnect(close)
            },
          },
        })
        const connected = c.connect()
        await until(() => closes.length > 0)
        expect(closes[0]).toBe(1013)
        expect(server.logger.lines.join('\n')).toContain(reason)
        jwks.mode = 'up'
        await connected
        expect(c.getUserId()).toBe('ana')
        expect(new Set(closes)).toEqual(new Set([1013])) // every attempt before was retried
        expect(logged(server.logger.lines, [jwt])).toBe(false)
      },
    )

    it('a verifyToken of your own whose fetch of the keys fails closes 1013 too', async () => {
      const jwks = await identityProvider()
      const key = await signingKey('RS256', 'rs-1')
      jwks.keys = [key.jwk]
      jwks.mode = 'down'
      const keys = createRemoteJWKSet(new URL(jwks.url))
      const server = await startServer({
        verifyToken: async (jwt) =>
          (await jwtVerify(jwt, keys, { issuer: ISSUER, audience: AUDIENCE })).payload.sub!,
      })
      const c = client(server.url, {
        protocol: 'v2',
        token: await key.sign(claims('ana')),
        reconnect: { enabled: false },
      })
      await expect(c.connect()).rejects.toMatchObject({ closeCode: 1013 })
      expect(server.logger.lines.join('\n')).toContain('FETCH_FAILED')
    })
  })

  describe('startup errors', () => {
    const base: ServerOptions = {
      ecdhInfo: ECDH_INFO,
      port: 0,
      jwks: 'https://id.example/.well-known/jwks.json',
    }
    it.each([
      ['no jwtIssuer', { jwtAudience: AUDIENCE }, /`jwks` needs `jwtIssuer`/],
      ['no jwtAudience', { jwtIssuer: ISSUER }, /`jwks` needs `jwtAudience`/],
      ['neither', {}, /`jwks` needs `jwtIssuer` .* and `jwtAudience`/],
      ['an empty jwtAudience', { jwtIssuer: ISSUER, jwtAudience: '' }, /`jwtAudience`/],
      [
        'HS256 among the algorithms',
        { jwtIssuer: ISSUER, jwtAudience: AUDIENCE, jwtAlgorithms: ['HS256'] },
        /not "HS256"/,
      ],
      [
        'none as an algorithm',
        { jwtIssuer: ISSUER, jwtAudience: AUDIENCE, jwtAlgorithms: ['none'] },
        /not "none"/,
      ],
      ['no algorithm', { jwtIssuer: ISSUER, jwtAudience: AUDIENCE, jwtAlgorithms: [] }, /got none/],
      ['jwks with jwtSecret', { jwtIssuer: ISSUER, jwtAudience: AUDIENCE, jwtSecret: SECRET }, /not both/],
      ['a negative timeout', { jwtIssuer: ISSUER, jwtAudience: AUDIENCE, jwksTimeout: -1 }, /`jwksTimeout`/],
      [
        'an http key set beyond loopback',
        { jwtIssuer: ISSUER, jwtAudience: AUDIENCE, jwks: 'http://id.example/jwks.json' },
        /must be an https:\/\/ URL/,
      ],
      ['not a URL', { jwtIssuer: ISSUER, jwtAudience: AUDIENCE, jwks: 'id.example' }, /must be the URL/],
    ] as [string, Record<string, unknown>, RegExp][])('%s', async (_name, options, message) => {
      await expect(createEncryptedSocketServer({ ...base, ...options } as ServerOptions)).rejects.toThrow(
        message,
      )
    })
  })
})

describe('createJwksVerification / createJwksVerifier', () => {
  it('gives { userId, expiresAt } (ms) / the user id, and codes an unreachable set TOKEN_VERIFIER_UNAVAILABLE', async () => {
    const jwks = await identityProvider()
    const key = await signingKey('EdDSA', 'ed-1')
    jwks.keys = [key.jwk]
    const options = { url: jwks.url, issuer: ISSUER, audience: AUDIENCE }
    const jwt = await key.sign(claims('ana', { exp: 2_000_000_000 }), { expiresIn: null })
    await expect(createJwksVerification(options)(jwt)).resolves.toEqual({
      userId: 'ana',
      expiresAt: 2_000_000_000_000,
    })
    await expect(createJwksVerifier(options)(jwt)).resolves.toBe('ana')
    jwks.mode = 'down'
    await expect(createJwksVerification(options)(jwt)).rejects.toMatchObject({
      code: 'TOKEN_VERIFIER_UNAVAILABLE',
    })
  })

  it('refuses to be made without issuer or audience, or with an http URL beyond loopback', () => {
    const url = 'https://id.example/jwks.json'
    expect(() => createJwksVerification({ url, issuer: ISSUER, audience: '' })).toThrow(/`audience`/)
    expect(() => createJwksVerification({ url, issuer: '', audience: AUDIENCE })).toThrow(/`issuer`/)
    expect(() =>
      createJwksVerification({ url: 'http://id.example/jwks.json', issuer: ISSUER, audience: AUDIENCE }),
    ).toThrow(/`url` must be an https/)
  })
})

type Keys = Awaited<ReturnType<typeof makeKeys>>
async function makeKeys() {
  return {
    rs: await signingKey('RS256', 'rs-1'),
    es: await signingKey('ES256', 'es-1'),
    stranger: await signingKey('RS256', 'stranger'),
  }
}

describe('encrypted-socket-server --jwks', () => {
  it('lists --jwks and --jwt-algorithms in --help', async () => {
    const cli = startCli(['--help'])
    expect(await cli.exited).toBe(0)
    expect(cli.output()).toContain('--jwks <url>')
    expect(cli.output()).toContain('ENCRYPTED_SOCKET_JWKS')
    expect(cli.output()).toContain('--jwt-algorithms')
    expect(cli.output()).toContain('ENCRYPTED_SOCKET_JWT_ALGORITHMS')
  })

  it.each([
    [
      'flags',
      [
        '--jwks',
        '<jwks>',
        '--jwt-issuer',
        ISSUER,
        '--jwt-audience',
        AUDIENCE,
        '--jwt-algorithms',
        'ES256,EdDSA',
      ],
      {},
    ],
    [
      'environment variables',
      [],
      {
        ENCRYPTED_SOCKET_JWKS: '<jwks>',
        ENCRYPTED_SOCKET_JWT_ISSUER: ISSUER,
        ENCRYPTED_SOCKET_JWT_AUDIENCE: AUDIENCE,
        ENCRYPTED_SOCKET_JWT_ALGORITHMS: 'ES256, EdDSA',
      },
    ],
  ] as [string, string[], Record<string, string>][])(
    'from %s: verifies against the key set, with the algorithms given; no secret, no dev token',
    async (_from, args, env) => {
      const jwks = await identityProvider()
      const es = await signingKey('ES256', 'es-1')
      const rs = await signingKey('RS256', 'rs-1')
      jwks.keys = [es.jwk, rs.jwk]
      const withUrl = (values: string[]) => values.map((value) => value.replace('<jwks>', jwks.url))
      const cli = startCli(
        ['--port', '0', '--ecdh-info', 'cli-jwks', ...withUrl(args)],
        Object.fromEntries(Object.entries(env).map(([name, value]) => [name, withUrl([value])[0]!])),
      )
      const url = await cli.url
      const good = client(url, { ecdhInfo: 'cli-jwks', protocol: 'v2', token: await es.sign(claims('ana')) })
      await good.connect()
      expect(good.getUserId()).toBe('ana')
      const notAllowed = client(url, {
        ecdhInfo: 'cli-jwks',
        protocol: 'v2',
        token: await rs.sign(claims('ana')),
      })
      await expect(notAllowed.connect()).rejects.toMatchObject({ code: 'ERR_REJECTED', closeCode: 1008 })
      expect(cli.output()).not.toContain('development token')
    },
  )

  it('--jwks-cooldown 0: a rotated key is fetched at once; a bad value exits 2 naming the flag', async () => {
    const jwks = await identityProvider()
    const kid1 = await signingKey('ES256', 'kid1')
    const kid2 = await signingKey('ES256', 'kid2')
    jwks.keys = [kid1.jwk]
    const cli = startCli([
      '--port',
      '0',
      '--ecdh-info',
      'cli-jwks',
      '--jwks',
      jwks.url,
      '--jwt-issuer',
      ISSUER,
      '--jwt-audience',
      AUDIENCE,
      '--jwks-cooldown',
      '0',
    ])
    const url = await cli.url
    const first = client(url, { ecdhInfo: 'cli-jwks', protocol: 'v2', token: await kid1.sign(claims('ana')) })
    await first.connect()
    jwks.keys = [kid2.jwk] // within jose's default 30 s cooldown, kid2 would be refused
    const rotated = client(url, {
      ecdhInfo: 'cli-jwks',
      protocol: 'v2',
      token: await kid2.sign(claims('bea')),
    })
    await rotated.connect()
    expect(rotated.getUserId()).toBe('bea')
    const bad = startCli([
      '--port',
      '0',
      '--jwks',
      jwks.url,
      '--jwt-issuer',
      ISSUER,
      '--jwt-audience',
      AUDIENCE,
      '--jwks-timeout',
      'soon',
    ])
    expect(await bad.exited).toBe(2)
    expect(bad.output()).toContain('--jwks-timeout must be a whole number of ms')
  })

  it('serves beyond loopback with --jwks and no secret', async () => {
    const jwks = await identityProvider()
    const cli = startCli([
      '--host',
      '0.0.0.0',
      '--port',
      '0',
      '--jwks',
      jwks.url,
      '--jwt-issuer',
      ISSUER,
      '--jwt-audience',
      AUDIENCE,
    ])
    expect(await cli.url).toMatch(/^ws:\/\/0\.0\.0\.0:\d+$/)
  })

  it.each([
    ['--jwt-audience', ['--jwt-issuer', ISSUER]],
    ['--jwt-issuer', ['--jwt-audience', AUDIENCE]],
  ])('--jwks without %s exits 2 naming it', async (missing, args) => {
    const cli = startCli(['--port', '0', '--jwks', 'https://id.example/jwks.json', ...args])
    expect(await cli.exited).toBe(2)
    expect(cli.output()).toContain(missing)
  })

  it('--jwt-algorithms HS256 exits 2', async () => {
    const cli = startCli([
      '--port',
      '0',
      '--jwks',
      'https://id.example/jwks.json',
      '--jwt-issuer',
      ISSUER,
      '--jwt-audience',
      AUDIENCE,
      '--jwt-algorithms',
      'HS256',
    ])
    expect(await cli.exited).toBe(2)
    expect(cli.output()).toContain('not "HS256"')
  })
})
