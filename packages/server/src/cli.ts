#!/usr/bin/env node
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { DEFAULT_ECDH_INFO } from '@encrypted-socket/core'
import { SignJWT } from 'jose'
import { startDevTokenEndpoint, type DevTokenEndpoint } from './devTokens'
import { DEFAULT_DRAIN_TIMEOUT } from './drain'
import { forwardedFor } from './forwardedFor'
import { createServerIdentityText, loadServerIdentity } from './identity'
import { createJsonLogger, type LogLevel } from './logger'
import { startMetricsEndpoint, type MetricsEndpoint } from './metricsEndpoint'
import type { JwksAlgorithm } from './jwks'
import { isLoopbackHost, MAX_WORKERS, type ServerOptions } from './options'
import type { AuthorizeJoin } from './roomAuthorization'
import { createEncryptedSocketServer, type EncryptedSocketServer } from './server'

const HELP = `encrypted-socket-server: a protocol v2 and v1 server on one port (ws + node:crypto + JWTs: HS256, or an identity provider's keys)

Usage: encrypted-socket-server [options]

  --port <n>          port to listen on (0: any free port)     ENCRYPTED_SOCKET_PORT       [8787]
  --host <address>    interface to listen on                   ENCRYPTED_SOCKET_HOST       [127.0.0.1]
  --ecdh-info <s>     HKDF info string, same as the clients'   ENCRYPTED_SOCKET_ECDH_INFO  [${DEFAULT_ECDH_INFO}]
  --jwt-secret-file <f>  file holding the HS256 secret (the    ENCRYPTED_SOCKET_JWT_SECRET_FILE
                      JWT's sub is the user); at least 32 bytes beyond loopback. Required unless
                      --host is loopback: then a random one is made and a one-hour development
                      token is printed
  --jwt-secret <s>    the secret itself (visible in ps: prefer  ENCRYPTED_SOCKET_JWT_SECRET
                      the file or the variable)
  --jwt-issuer <s>    required iss claim                       ENCRYPTED_SOCKET_JWT_ISSUER
  --jwt-audience <s>  required aud claim                       ENCRYPTED_SOCKET_JWT_AUDIENCE
  --jwks <url>        tokens from an identity provider: the    ENCRYPTED_SOCKET_JWKS
                      URL of its JSON Web Key Set (https; http only to loopback), instead of a
                      secret. Needs --jwt-issuer and --jwt-audience
  --jwt-algorithms <list>  with --jwks, the accepted           ENCRYPTED_SOCKET_JWT_ALGORITHMS [RS256,ES256,EdDSA]
                      algorithms, comma-separated (asymmetric only)
  --jwks-cache-max-age <ms>  how long fetched keys are used    ENCRYPTED_SOCKET_JWKS_CACHE_MAX_AGE [600000]
  --jwks-cooldown <ms>  after a fetch, how long an unknown kid ENCRYPTED_SOCKET_JWKS_COOLDOWN [30000]
                      is refused without fetching again
  --jwks-timeout <ms>  time allowed for one key set fetch      ENCRYPTED_SOCKET_JWKS_TIMEOUT [5000]
  --allow-tokens-without-exp  accept tokens that never expire  ENCRYPTED_SOCKET_ALLOW_TOKENS_WITHOUT_EXP=1
  --forwarded-for <n>  behind n proxies you run, the client    ENCRYPTED_SOCKET_FORWARDED_FOR [the socket's address]
                      address (for the per-address limits) is the n-th X-Forwarded-For entry from the end
  --origin <o>        allowed browser Origin, repeatable, '*'  ENCRYPTED_SOCKET_ORIGINS    [loopback origins]
                      for any (the variable is comma-separated)
  --redis <url>       share rooms with other instances         ENCRYPTED_SOCKET_REDIS
  --redis-secret-file <f>  file holding the secret that        ENCRYPTED_SOCKET_REDIS_SECRET_FILE
                      encrypts what crosses Redis (32+ bytes, the same on every instance)
  --redis-secret <s>  the secret itself (visible in ps)        ENCRYPTED_SOCKET_REDIS_SECRET
  --redis-allow-plaintext  use a Redis beyond loopback without ENCRYPTED_SOCKET_REDIS_ALLOW_PLAINTEXT=1
                      a secret (anyone who can write to it can send any event to anyone)
  --redis-local-delivery  keep v2 sessions, idempotency keys  ENCRYPTED_SOCKET_REDIS_LOCAL_DELIVERY=1
                      and room streams per instance, not in Redis (a resume works on the same instance only)
  --signing-key <f>   PEM file of the identity clients pin     ENCRYPTED_SOCKET_SIGNING_KEY (the PEM itself)
  --require-v2        refuse protocol v1 clients (HTTP 426)    ENCRYPTED_SOCKET_REQUIRE_V2=1
  --generate-identity print a new identity (PEM private key, and the client's pinServerKey / pinServerFingerprint lines) and exit
  --authorize-join <f>  an ES module exporting authorizeJoin  ENCRYPTED_SOCKET_AUTHORIZE_JOIN
                      (request, room) => boolean | { code, message } (named or default export): who
                      may join which room. Without it every authenticated user may join every room
  --demo              echo and chat demo handlers; rooms are  ENCRYPTED_SOCKET_DEMO=1
                      open, but <user>-private is that user's alone (unless --authorize-join)
                      With no secret given (loopback only), also a development token endpoint:
                      GET http://<host>:<token port>/token?user=<name> → { "token": "<JWT, 1 h>" }
  --token-port <n>    port of that endpoint (0: any free one)  ENCRYPTED_SOCKET_TOKEN_PORT [--port + 1]
  --metrics-port <n>  serve GET /metrics (Prometheus) and      ENCRYPTED_SOCKET_METRICS_PORT
                      GET /healthz (200 while accepting, 503 while closing) on this port (0: any free one)
  --metrics-host <a>  interface of that endpoint               ENCRYPTED_SOCKET_METRICS_HOST [127.0.0.1]
  --workers <n>       threads that seal fan-out (rooms,        ENCRYPTED_SOCKET_WORKERS    [0]
                      broadcasts), 0..${MAX_WORKERS}; 0 seals on the main thread. At most one per spare core
  --log-level <l>     debug, info, warn or error               ENCRYPTED_SOCKET_LOG_LEVEL  [info]
  --drain-timeout <ms>  on SIGTERM, how long handlers may      ENCRYPTED_SOCKET_DRAIN_TIMEOUT [${DEFAULT_DRAIN_TIMEOUT}]
                      finish before clients are cut
  --help              this text

SIGTERM drains (a restart): no new connections (503), nothing more read from clients, the
handlers of what was read finish and their sessions are written (Redis), then v2 clients are
closed with 1012 (they resume on another instance) and v1 clients with 1001; exits 0.
SIGINT closes every client with 1001 at once (they reconnect) and exits 0.`

async function main(): Promise<void> {
  const env = process.env
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'ecdh-info': { type: 'string' },
      'jwt-secret': { type: 'string' },
      'jwt-secret-file': { type: 'string' },
      'jwt-issuer': { type: 'string' },
      'jwt-audience': { type: 'string' },
      jwks: { type: 'string' },
      'jwt-algorithms': { type: 'string' },
      'jwks-cache-max-age': { type: 'string' },
      'jwks-cooldown': { type: 'string' },
      'jwks-timeout': { type: 'string' },
      'allow-tokens-without-exp': { type: 'boolean' },
      origin: { type: 'string', multiple: true },
      'forwarded-for': { type: 'string' },
      demo: { type: 'boolean' },
      'authorize-join': { type: 'string' },
      'token-port': { type: 'string' },
      redis: { type: 'string' },
      'redis-secret': { type: 'string' },
      'redis-secret-file': { type: 'string' },
      'redis-allow-plaintext': { type: 'boolean' },
      'redis-local-delivery': { type: 'boolean' },
      'signing-key': { type: 'string' },
      'require-v2': { type: 'boolean' },
      'generate-identity': { type: 'boolean' },
      'log-level': { type: 'string' },
      workers: { type: 'string' },
      'drain-timeout': { type: 'string' },
      'metrics-port': { type: 'string' },
      'metrics-host': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    console.log(HELP)
    return
  }
  if (values['generate-identity']) {
    const identity = await createServerIdentityText()
    console.log(
      `${identity.privateKeyPem}\n\n# give clients one of:\nserverIdentity: pinServerKey('${identity.serverKey}')\nserverIdentity: pinServerFingerprint('${identity.fingerprint}')`,
    )
    return
  }
  const signingKeyPem = values['signing-key']
    ? readFileSync(values['signing-key'], 'utf8')
    : env.ENCRYPTED_SOCKET_SIGNING_KEY
  const port = Number(values.port ?? env.ENCRYPTED_SOCKET_PORT ?? 8787)
  const host = values.host ?? env.ENCRYPTED_SOCKET_HOST ?? '127.0.0.1'
  const ecdhInfo = values['ecdh-info'] ?? env.ENCRYPTED_SOCKET_ECDH_INFO ?? DEFAULT_ECDH_INFO
  const origins = values.origin ?? env.ENCRYPTED_SOCKET_ORIGINS?.split(',').map((origin) => origin.trim())
  const demo = values.demo ?? env.ENCRYPTED_SOCKET_DEMO === '1'
  const requireV2 = values['require-v2'] ?? env.ENCRYPTED_SOCKET_REQUIRE_V2 === '1'
  const redisUrl = values.redis ?? env.ENCRYPTED_SOCKET_REDIS
  const redisSecret =
    readSecretFile(
      '--redis-secret-file',
      values['redis-secret-file'] ?? env.ENCRYPTED_SOCKET_REDIS_SECRET_FILE,
    ) ??
    values['redis-secret'] ??
    env.ENCRYPTED_SOCKET_REDIS_SECRET
  const redisAllowPlaintext =
    values['redis-allow-plaintext'] ?? env.ENCRYPTED_SOCKET_REDIS_ALLOW_PLAINTEXT === '1'
  const redisLocalDelivery =
    values['redis-local-delivery'] ?? env.ENCRYPTED_SOCKET_REDIS_LOCAL_DELIVERY === '1'
  const jwtIssuer = values['jwt-issuer'] ?? env.ENCRYPTED_SOCKET_JWT_ISSUER
  const jwtAudience = values['jwt-audience'] ?? env.ENCRYPTED_SOCKET_JWT_AUDIENCE
  const jwks = values.jwks ?? env.ENCRYPTED_SOCKET_JWKS
  const jwtAlgorithms = (values['jwt-algorithms'] ?? env.ENCRYPTED_SOCKET_JWT_ALGORITHMS)
    ?.split(',')
    .map((alg) => alg.trim())
    .filter((alg) => alg.length > 0) as JwksAlgorithm[] | undefined
  if (jwks && (!jwtIssuer || !jwtAudience))
    fail(
      `--jwks needs ${[!jwtIssuer && '--jwt-issuer', !jwtAudience && '--jwt-audience'].filter(Boolean).join(' and ')} (the iss and aud of tokens meant for this server).`,
    )
  if (jwtAlgorithms && !jwks) fail('--jwt-algorithms applies to --jwks only (HS256 secrets are HS256).')
  const jwksTimings = {
    jwksCacheMaxAge: milliseconds(
      '--jwks-cache-max-age',
      values['jwks-cache-max-age'] ?? env.ENCRYPTED_SOCKET_JWKS_CACHE_MAX_AGE,
    ),
    jwksCooldown: milliseconds(
      '--jwks-cooldown',
      values['jwks-cooldown'] ?? env.ENCRYPTED_SOCKET_JWKS_COOLDOWN,
    ),
    jwksTimeout: milliseconds('--jwks-timeout', values['jwks-timeout'] ?? env.ENCRYPTED_SOCKET_JWKS_TIMEOUT),
  }
  const jwksTimingsGiven = Object.fromEntries(
    Object.entries(jwksTimings).filter(([, value]) => value !== undefined),
  )
  if (Object.keys(jwksTimingsGiven).length > 0 && !jwks)
    fail('--jwks-cache-max-age, --jwks-cooldown and --jwks-timeout apply to --jwks only.')
  const allowTokensWithoutExpiry =
    values['allow-tokens-without-exp'] ?? env.ENCRYPTED_SOCKET_ALLOW_TOKENS_WITHOUT_EXP === '1'
  const logLevel = (values['log-level'] ?? env.ENCRYPTED_SOCKET_LOG_LEVEL ?? 'info') as LogLevel
  const drainTimeoutText = values['drain-timeout'] ?? env.ENCRYPTED_SOCKET_DRAIN_TIMEOUT
  const drainTimeout = drainTimeoutText === undefined ? DEFAULT_DRAIN_TIMEOUT : Number(drainTimeoutText)
  if (!Number.isInteger(drainTimeout) || drainTimeout < 0)
    fail(`--drain-timeout must be a whole number of ms (0 or more); got "${drainTimeoutText}".`)
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    fail(`--port must be 0..65535; got "${values.port ?? env.ENCRYPTED_SOCKET_PORT}".`)
  const tokenPortText = values['token-port'] ?? env.ENCRYPTED_SOCKET_TOKEN_PORT
  const tokenPort = tokenPortText === undefined ? undefined : Number(tokenPortText)
  if (tokenPort !== undefined && (!Number.isInteger(tokenPort) || tokenPort < 0 || tokenPort > 65535))
    fail(`--token-port must be 0..65535; got "${tokenPortText}".`)
  const metricsPortText = values['metrics-port'] ?? env.ENCRYPTED_SOCKET_METRICS_PORT
  const metricsPort = metricsPortText === undefined ? undefined : Number(metricsPortText)
  if (metricsPort !== undefined && (!Number.isInteger(metricsPort) || metricsPort < 0 || metricsPort > 65535))
    fail(`--metrics-port must be 0..65535; got "${metricsPortText}".`)
  const metricsHost = values['metrics-host'] ?? env.ENCRYPTED_SOCKET_METRICS_HOST ?? '127.0.0.1'
  const workersText = values.workers ?? env.ENCRYPTED_SOCKET_WORKERS
  const workers = workersText === undefined ? 0 : Number(workersText)
  if (!/^\d+$/.test(workersText ?? '0') || workers > MAX_WORKERS)
    fail(`--workers must be a whole number from 0 to ${MAX_WORKERS}; got "${workersText}".`)
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel))
    fail(`--log-level must be debug, info, warn or error.`)

  let jwtSecret =
    readSecretFile('--jwt-secret-file', values['jwt-secret-file'] ?? env.ENCRYPTED_SOCKET_JWT_SECRET_FILE) ??
    values['jwt-secret'] ??
    env.ENCRYPTED_SOCKET_JWT_SECRET
  let devToken: string | undefined
  if (!jwtSecret && !jwks) {
    if (!isLoopbackHost(host)) fail(`--jwt-secret-file is required when listening on ${host} (not loopback).`)
    jwtSecret = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url')
    let dev = new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('dev').setIssuedAt()
    if (jwtIssuer) dev = dev.setIssuer(jwtIssuer)
    if (jwtAudience) dev = dev.setAudience(jwtAudience)
    devToken = await dev.setExpirationTime('1h').sign(new TextEncoder().encode(jwtSecret))
  }

  const forwardedForText = values['forwarded-for'] ?? env.ENCRYPTED_SOCKET_FORWARDED_FOR
  const forwardedHops = forwardedForText === undefined ? undefined : Number(forwardedForText)
  if (forwardedHops !== undefined && (!Number.isSafeInteger(forwardedHops) || forwardedHops < 1))
    fail(`--forwarded-for must be the number of your proxies (1 or more); got "${forwardedForText}".`)
  const authorizeJoinModule = values['authorize-join'] ?? env.ENCRYPTED_SOCKET_AUTHORIZE_JOIN
  const authorizeJoin = authorizeJoinModule ? await loadAuthorizeJoin(authorizeJoinModule) : undefined

  const options: ServerOptions = {
    port,
    host,
    ecdhInfo,
    jwtSecret,
    allowTokensWithoutExpiry,
    demo,
    requireV2,
    workers,
    logger: createJsonLogger(logLevel),
    ...(authorizeJoin ? { authorizeJoin } : {}),
    ...(forwardedHops ? { clientAddress: forwardedFor(forwardedHops) } : {}),
    ...(jwtIssuer ? { jwtIssuer } : {}),
    ...(jwtAudience ? { jwtAudience } : {}),
    ...(jwks ? { jwks, ...jwksTimingsGiven, ...(jwtAlgorithms ? { jwtAlgorithms } : {}) } : {}),
    ...(origins ? { origins } : {}),
    ...(signingKeyPem ? { identity: await loadServerIdentity(signingKeyPem) } : {}),
    ...(redisUrl
      ? {
          redis: {
            url: redisUrl,
            allowPlaintext: redisAllowPlaintext,
            ...(redisLocalDelivery ? { sharedDelivery: false } : {}),
            ...(redisSecret ? { secret: redisSecret } : {}),
          },
        }
      : {}),
  }
  let server: EncryptedSocketServer
  try {
    server = await createEncryptedSocketServer(options)
  } catch (error) {
    // Options the server refuses (a short secret, Redis without one) are usage errors.
    if (error instanceof TypeError) fail(error.message.replace(/^encrypted-socket server: /, ''))
    throw error
  }
  let tokens: DevTokenEndpoint | undefined
  if (devToken && demo && jwtSecret) {
    // The quickstart's auth service: loopback only (the secret is random, so only here).
    const listenPort = tokenPort ?? (port === 0 ? 0 : port + 1)
    try {
      tokens = await startDevTokenEndpoint({
        secret: jwtSecret,
        host,
        port: listenPort,
        ...(jwtIssuer ? { issuer: jwtIssuer } : {}),
        ...(jwtAudience ? { audience: jwtAudience } : {}),
      })
    } catch (error) {
      await server.close({ timeout: 0 })
      const code = (error as NodeJS.ErrnoException).code
      fail(
        code === 'EADDRINUSE'
          ? `the development token port ${listenPort} is in use; pick another with --token-port.`
          : (error as Error).message.replace(/^encrypted-socket server: /, ''),
      )
    }
  }
  let metricsEndpoint: MetricsEndpoint | undefined
  if (metricsPort !== undefined) {
    try {
      metricsEndpoint = await startMetricsEndpoint(server, { port: metricsPort, host: metricsHost })
    } catch (error) {
      await Promise.all([server.close({ timeout: 0 }), tokens?.close()])
      const code = (error as NodeJS.ErrnoException).code
      fail(
        code === 'EADDRINUSE'
          ? `the metrics port ${metricsPort} is in use; pick another with --metrics-port.`
          : `--metrics-host ${metricsHost}: ${(error as Error).message}`,
      )
    }
    // Printed before the line below, which tells that everything is up.
    console.log(`metrics: ${metricsEndpoint.url}/metrics  (health: ${metricsEndpoint.url}/healthz)`)
  }
  console.log(
    `encrypted-socket server listening on ${server.url} (${requireV2 ? 'protocol v2 only' : 'protocols v2 and v1'}, ecdhInfo "${ecdhInfo}"${demo ? ', demo handlers on' : ''}${redisUrl ? ', scaled out through Redis' : ''}${workers > 0 ? `, ${workers} seal worker${workers === 1 ? '' : 's'}` : ''})`,
  )
  if (devToken) console.log('dev secret: random, in memory')
  if (tokens) console.log(`dev tokens: ${tokens.url}?user=<name>  (loopback only; any user name, valid 1 h)`)
  if (devToken)
    console.log(
      `No --jwt-secret: a random one is in use. A development token for user "dev", valid 1 h:\n${devToken}`,
    )

  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    const draining = signal === 'SIGTERM'
    console.log(
      draining
        ? `SIGTERM: draining (up to ${drainTimeout} ms), then closing v2 clients with 1012, v1 clients with 1001`
        : `${signal}: closing clients with 1001`,
    )
    // The metrics endpoint stays up while clients are closed: /healthz answers 503 meanwhile.
    void Promise.all([draining ? server.drain({ timeout: drainTimeout }) : server.close(), tokens?.close()])
      .then(() => metricsEndpoint?.close())
      .then(() => process.exit(0))
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
}

/** `authorizeJoin` from the module at `path` (its named export, else its default export). */
async function loadAuthorizeJoin(path: string): Promise<AuthorizeJoin> {
  let loaded: { authorizeJoin?: unknown; default?: unknown }
  try {
    loaded = (await import(pathToFileURL(resolve(path)).href)) as typeof loaded
  } catch (error) {
    fail(`--authorize-join: cannot load ${path} (${(error as Error).message}).`)
  }
  const hook = loaded.authorizeJoin ?? loaded.default
  if (typeof hook !== 'function')
    fail(`--authorize-join: ${path} exports no authorizeJoin function (named or default).`)
  return hook as AuthorizeJoin
}

/** A whole number of ms ≥ 0 from a flag or variable, or undefined when neither is given. */
function milliseconds(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const value = Number(text)
  if (!Number.isSafeInteger(value) || value < 0)
    fail(`${flag} must be a whole number of ms (0 or more); got "${text}".`)
  return value
}

/** The secret in a file (one trailing newline removed), or undefined when no file is named. */
function readSecretFile(flag: string, path: string | undefined): string | undefined {
  if (path === undefined) return undefined
  try {
    return readFileSync(path, 'utf8').replace(/\r?\n$/, '')
  } catch (error) {
    fail(`${flag}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'}).`)
  }
}

function fail(message: string): never {
  console.error(`encrypted-socket-server: ${message}\nRun with --help for the options.`)
  process.exit(2)
}

main().catch((error: unknown) => {
  console.error(`encrypted-socket-server: ${error instanceof Error ? error.message : String(error)}`)
  process.exit(1)
})
