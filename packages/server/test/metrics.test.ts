import { spawn } from 'node:child_process'
import { createServer as createHttpServer } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import parsePrometheusTextFormat, { type ParsedFamily } from 'parse-prometheus-text-format'
import { Counter, Registry, register as globalRegistry } from 'prom-client'
import { describe, expect, it, vi } from 'vitest'
import { EncryptedSocketServer, SERVER_CLOSE, silentLogger, startMetricsEndpoint } from '../src/index'
import { HopTimer } from '../src/hopTimer'
import { startFaultProxy } from './faultProxy'
import { client, ECDH_INFO, onCleanup, rawClient, SECRET, startServer, token, until } from './helpers'
import { startRedis } from './redisServer'

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url))

/** The metrics text parsed by a Prometheus text-format parser (it throws on any invalid line). */
function parse(text: string): Map<string, ParsedFamily> {
  const families = parsePrometheusTextFormat(text)
  for (const family of families) expect(family.name).toMatch(/^encrypted_socket_[a-z0-9_]+$/)
  return new Map(families.map((family) => [family.name, family]))
}

/** The value of the sample of `name` with exactly these labels (an unlabelled one with `{}`). */
function value(
  families: Map<string, ParsedFamily>,
  name: string,
  labels: Record<string, string> = {},
): number {
  const family = families.get(name)
  if (!family) throw new Error(`no metric ${name}`)
  const found = family.metrics.find(
    (metric) => JSON.stringify(sorted(metric.labels ?? {})) === JSON.stringify(sorted(labels)),
  )
  if (!found?.value) throw new Error(`no sample ${name}${JSON.stringify(labels)}`)
  return Number(found.value)
}

const sorted = (labels: Record<string, string>) => Object.fromEntries(Object.entries(labels).sort())

/** No label value is, or holds, any of `secrets` (users, rooms, tokens, connection ids). */
function expectNoLabelHolds(families: Map<string, ParsedFamily>, secrets: string[]): void {
  const values = [...families.values()].flatMap((family) =>
    family.metrics.flatMap((metric) => Object.values(metric.labels ?? {})),
  )
  expect(values.length).toBeGreaterThan(20)
  for (const secret of secrets) for (const label of values) expect(label.includes(secret)).toBe(false)
}

async function scrape(server: { metrics(): Promise<string> }) {
  return parse(await server.metrics())
}

describe('server.metrics()', () => {
  it('counts handshakes (v1, v2), Origin and token refusals, drops and resumes; no label holds a user, room, token or connection id', async () => {
    const server = await startServer()
    const secrets: string[] = []
    const secret = <T extends string>(value: T): T => (secrets.push(value), value)

    // A v1 and a v2 client of the core package, one in a room.
    const room = secret('room-7b1e-metrics')
    const v1Token = secret(await token(secret('user-v1-5d2a')))
    const v1 = client(server.url, { token: v1Token })
    await v1.connect()
    v1.joinRooms([room])
    await until(() => server.roomMembers(room).length === 1)
    const v2 = client(server.url, { protocol: 'v2', token: secret(await token(secret('user-v2-9c4f'))) })
    await v2.connect()

    // A foreign Origin: the upgrade completes only to close with ORIGIN_REFUSED.
    const foreign = rawClient(server.url, { origin: 'https://evil.example' })
    expect((await foreign.closed).code).toBe(SERVER_CLOSE.ORIGIN_REFUSED)

    // A token signed with another secret (v2) and an expired one (v1).
    const forged = secret(await token('user-forged', { secret: 'another-secret-of-at-least-32-bytes' }))
    const refused = client(server.url, { protocol: 'v2', token: forged, reconnect: { enabled: false } })
    await expect(refused.connect()).rejects.toMatchObject({ closeCode: 1008 })
    const expired = rawClient(server.url)
    await expired.authenticate(
      secret(await token('user-expired', { expiresIn: Math.floor(Date.now() / 1000) - 60 })),
    )
    expect((await expired.closed).code).toBe(1008)

    // A replayed frame, dropped.
    const replayer = rawClient(server.url)
    await replayer.authenticate(secret(await token(secret('user-replay-3e8b'))))
    const frame = await replayer.send('once', 1)
    replayer.socket.send(frame)
    await until(() => server.drops.replayed === 1)

    // A v2 client through a proxy that cuts the connection: it resumes its session.
    const proxy = await startFaultProxy(server.url)
    onCleanup(() => proxy.stop())
    const resuming = client(proxy.url, {
      protocol: 'v2',
      token: secret(await token(secret('user-resume-11aa'))),
      reconnect: { interval: 10, jitter: 'none' },
    })
    await resuming.connect()
    const [mine] = server.connections().filter((c) => c.userId === 'user-resume-11aa')
    proxy.set('stall') // what is sent now does not reach the client: it is replayed on the resume
    expect(await server.sendTo(mine!.id, 'missed', 'while away')).toBe(true)
    proxy.cut()
    proxy.set('none')
    await until(() => server.stats().resumes === 1 && resuming.getState() === 'authenticated')
    await until(() => server.connections().filter((c) => c.protocol === 2).length === 2)
    await until(() => server.connections().length === 4) // the refused ones are gone

    const families = await scrape(server)
    const connections = (protocol: string, authenticated: string) =>
      value(families, 'encrypted_socket_connections', { protocol, authenticated })
    expect(connections('1', 'true')).toBe(2) // v1, replayer
    expect(connections('2', 'true')).toBe(2) // v2, resumed
    expect(connections('1', 'false') + connections('2', 'false')).toBe(0)
    expect(families.get('encrypted_socket_connections')!.type).toBe('GAUGE')
    expect(value(families, 'encrypted_socket_rooms')).toBe(1)
    expect(value(families, 'encrypted_socket_handshakes_total', { protocol: '1' })).toBe(2)
    expect(value(families, 'encrypted_socket_handshakes_total', { protocol: '2' })).toBe(3) // v2, resuming twice
    expect(families.get('encrypted_socket_handshakes_total')!.type).toBe('COUNTER')
    expect(value(families, 'encrypted_socket_upgrades_refused_total', { reason: 'origin' })).toBe(1)
    expect(value(families, 'encrypted_socket_upgrades_refused_total', { reason: 'closing' })).toBe(0)
    expect(value(families, 'encrypted_socket_tokens_refused_total', { reason: 'invalid' })).toBe(1)
    expect(value(families, 'encrypted_socket_tokens_refused_total', { reason: 'expired' })).toBe(1)
    expect(value(families, 'encrypted_socket_frames_dropped_total', { reason: 'replayed' })).toBe(1)
    expect(value(families, 'encrypted_socket_frames_dropped_total', { reason: 'slowConsumer' })).toBe(0)
    expect(value(families, 'encrypted_socket_v2_resumes_total', { result: 'resumed' })).toBe(1)
    expect(value(families, 'encrypted_socket_v2_resumes_total', { result: 'refused' })).toBe(0)
    expect(value(families, 'encrypted_socket_v2_replayed_messages_total')).toBe(1)
    expect(value(families, 'encrypted_socket_v2_sessions', { state: 'attached' })).toBe(2)
    expect(value(families, 'encrypted_socket_v2_sessions', { state: 'waiting' })).toBe(0)
    // Without Redis, no Redis metrics.
    expect(families.has('encrypted_socket_redis_ready')).toBe(false)
    expect(families.has('encrypted_socket_redis_hop_seconds')).toBe(false)

    secrets.push(...server.connections().map((c) => c.id), SECRET)
    expectNoLabelHolds(families, secrets)
  })

  it("counts a token the verifier could not check as 'unavailable', apart from invalid ones", async () => {
    const server = await startServer({
      verifyToken: (jwt) => {
        if (jwt === 'provider-down')
          throw Object.assign(new Error('down'), { code: 'TOKEN_VERIFIER_UNAVAILABLE' })
        throw new Error('bad token')
      },
    })
    const down = rawClient(server.url)
    await down.authenticate('provider-down')
    expect((await down.closed).code).toBe(SERVER_CLOSE.TRY_AGAIN_LATER)
    const bad = rawClient(server.url)
    await bad.authenticate('not-a-token')
    expect((await bad.closed).code).toBe(1008)
    const families = await scrape(server)
    expect(value(families, 'encrypted_socket_tokens_refused_total', { reason: 'unavailable' })).toBe(1)
    expect(value(families, 'encrypted_socket_tokens_refused_total', { reason: 'invalid' })).toBe(1)
    expect(value(families, 'encrypted_socket_tokens_refused_total', { reason: 'expired' })).toBe(0)
    expectNoLabelHolds(families, ['provider-down', 'not-a-token'])
  })

  it('counts paused reads, frames dropped above sendHighWaterMark and clients closed for not reading', async () => {
    let release = () => {}
    const gate = new Promise<void>((resolve) => (release = resolve))
    const server = await startServer({
      incomingQueue: { frames: 1000, bytes: 256 * 1024 },
      sendHighWaterMark: 256 * 1024,
      slowConsumerTimeout: 300,
      onEvent: async (_context, event) => {
        if (event === 'work') await gate
      },
    })

    const busy = rawClient(server.url)
    await busy.authenticate(await token('busy'))
    const pad = 'x'.repeat(32 * 1024)
    for (let i = 0; i < 100; i++) await busy.send('work', { i, pad })
    await until(() => server.connections()[0]?.readPaused === true)
    let families = await scrape(server)
    expect(value(families, 'encrypted_socket_reads_paused_total')).toBeGreaterThanOrEqual(1)
    expect(value(families, 'encrypted_socket_connections_read_paused')).toBe(1)
    release()
    await until(() => server.connections()[0]?.readPaused === false)
    busy.socket.terminate()
    await until(() => server.connections().length === 0)

    const slow = rawClient(server.url)
    await slow.authenticate(await token('slow'))
    ;(slow.socket as unknown as { _socket: Socket })._socket.pause() // stops reading
    const [info] = server.connections()
    const chunk = 'x'.repeat(64 * 1024)
    const sent = await Promise.all(Array.from({ length: 400 }, () => server.sendTo(info!.id, 'bulk', chunk)))
    await until(() => server.connections().length === 0, 10_000) // closed 1013, then cut
    families = await scrape(server)
    expect(value(families, 'encrypted_socket_frames_dropped_total', { reason: 'slowConsumer' })).toBe(
      sent.filter((written) => !written).length,
    )
    expect(value(families, 'encrypted_socket_slow_clients_closed_total')).toBe(1)
    expect(value(families, 'encrypted_socket_connections_read_paused')).toBe(0)
  })

  it('counts upgrade refusals by reason: rate (429), capacity (503), protocol v1 (426), closing (503)', async () => {
    let address = 'a'
    const server = await startServer({
      maxConnections: 2,
      maxConnectionsPerAddress: 1,
      handshakeRate: { perSecond: 0.001, burst: 1 },
      clientAddress: () => address,
    })
    const first = rawClient(server.url)
    await first.opened
    await expect(rawClient(server.url).opened).rejects.toThrow('HTTP 429') // a's second connection
    address = 'b'
    const second = rawClient(server.url)
    await second.opened
    address = 'c'
    await expect(rawClient(server.url).opened).rejects.toThrow('HTTP 503') // 2 of 2
    expect(await server.metrics()).toContain('encrypted_socket_max_connections 2')
    second.socket.terminate()
    await until(() => server.connections().length === 1)
    address = 'b'
    await expect(rawClient(server.url).opened).rejects.toThrow('HTTP 429') // b's bucket is empty
    let families = await scrape(server)
    const refused = (reason: string) => value(families, 'encrypted_socket_upgrades_refused_total', { reason })
    expect(refused('address-connections')).toBe(1)
    expect(refused('max-connections')).toBe(1)
    expect(refused('address-handshake-rate')).toBe(1)
    expect(families.get('encrypted_socket_upgrades_refused_total')!.metrics).toHaveLength(6)

    const v2Only = await startServer({ requireV2: true })
    await expect(rawClient(v2Only.url).opened).rejects.toThrow('HTTP 426')
    families = await scrape(v2Only)
    expect(refused('protocol-v1')).toBe(1)

    // Attached to an application's server, which still takes upgrades while this one closes.
    const app = createHttpServer()
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve))
    onCleanup(() => new Promise((resolve) => app.close(resolve)))
    const attached = new EncryptedSocketServer({
      ecdhInfo: ECDH_INFO,
      jwtSecret: SECRET,
      logger: silentLogger,
    })
    onCleanup(() => attached.kill())
    attached.attach(app)
    const url = `ws://127.0.0.1:${(app.address() as AddressInfo).port}`
    const stuck = rawClient(url)
    await stuck.opened
    ;(stuck.socket as unknown as { _socket: Socket })._socket.pause() // never answers the close
    expect(attached.accepting).toBe(true)
    const closed = attached.close({ timeout: 10_000 })
    expect(attached.accepting).toBe(false)
    await expect(rawClient(url).opened).rejects.toThrow('HTTP 503')
    families = await scrape(attached)
    expect(refused('closing')).toBe(1)
    stuck.socket.terminate()
    await closed
  })

  it('has a registry of its own per server: two servers do not collide, and an app can merge one into its own', async () => {
    const [a, b] = await Promise.all([startServer(), startServer()])
    await client(a.url, { token: await token('ana') }).connect()
    expect(value(await scrape(a), 'encrypted_socket_handshakes_total', { protocol: '1' })).toBe(1)
    expect(value(await scrape(b), 'encrypted_socket_handshakes_total', { protocol: '1' })).toBe(0)
    expect(a.metricsRegistry).toBeInstanceOf(Registry)
    expect(a.metricsRegistry).not.toBe(b.metricsRegistry)
    expect(globalRegistry.getSingleMetric('encrypted_socket_handshakes_total')).toBeUndefined()

    const app = new Registry()
    new Counter({ name: 'app_requests_total', help: 'The application’s own.', registers: [app] }).inc(3)
    const merged = Registry.merge([app, a.metricsRegistry])
    const text = await merged.metrics()
    expect(text).toContain('app_requests_total 3')
    expect(text).toContain('encrypted_socket_handshakes_total{protocol="1"} 1')
  })

  it('serves /metrics and /healthz with startMetricsEndpoint: 200 while accepting, 503 while closing', async () => {
    const server = await startServer()
    const endpoint = await startMetricsEndpoint(server, { port: 0 })
    onCleanup(() => endpoint.close())
    expect(endpoint.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    await client(server.url, { protocol: 'v2', token: await token('ana') }).connect()
    const metrics = await fetch(`${endpoint.url}/metrics`)
    expect(metrics.status).toBe(200)
    expect(metrics.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
    expect(value(parse(await metrics.text()), 'encrypted_socket_handshakes_total', { protocol: '2' })).toBe(1)
    expect((await fetch(`${endpoint.url}/healthz`)).status).toBe(200)
    expect((await fetch(`${endpoint.url}/other`)).status).toBe(404)

    const stuck = rawClient(server.url)
    await stuck.opened
    ;(stuck.socket as unknown as { _socket: Socket })._socket.pause()
    const closed = server.close({ timeout: 10_000 })
    const health = await fetch(`${endpoint.url}/healthz`)
    expect(health.status).toBe(503)
    expect(await health.text()).toBe('closing\n')
    stuck.socket.terminate()
    await closed
  })
})

describe('HopTimer', () => {
  it('times PUBLISH to echo, forgets earlier publishes whose echo was lost, and failed ones', () => {
    const hops: number[] = []
    const timer = new HopTimer()
    timer.onHop = (seconds) => hops.push(seconds)
    timer.sent(0, 1000)
    timer.sent(1, 1001)
    timer.sent(2, 1002)
    timer.failed(2)
    timer.arrived(1, 1004) // 0's echo never came: Redis delivers in order, so it never will
    expect(hops).toEqual([0.003])
    expect(timer.pending).toBe(0)
    timer.arrived(0, 1005) // late or foreign: not a hop
    timer.arrived(2, 1005)
    expect(hops).toEqual([0.003])
  })
})

describe('metrics with Redis', () => {
  it('reports readiness (1, then 0 when Redis stops) and the hop from PUBLISH to the own echo as a histogram', async () => {
    const redis = await startRedis()
    onCleanup(() => redis.stop())
    const server = await startServer({ redis: redis.url })
    await until(() => server.redisReady === true)
    expect(value(await scrape(server), 'encrypted_socket_redis_ready')).toBe(1)

    // Envelopes on the fan-out channel: each comes back on the instance's own subscription.
    await server.sendToUser('nobody-here', 'e', 1)
    await server.broadcast('e', 2)
    const hop = await vi.waitFor(
      async () => {
        const family = (await scrape(server)).get('encrypted_socket_redis_hop_seconds')!
        expect(Number(family.metrics[0]!.count)).toBe(2)
        return family
      },
      { timeout: 5000 },
    )
    expect(hop.type).toBe('HISTOGRAM')
    const [sample] = hop.metrics
    expect(sample!.buckets!['+Inf']).toBe('2')
    expect(Number(sample!.sum)).toBeGreaterThan(0)
    expect(Number(sample!.sum)).toBeLessThan(2) // two loopback hops: far under a second
    expect(
      value(await scrape(server), 'encrypted_socket_redis_rejected_total', { reason: 'unreadable' }),
    ).toBe(0)

    await redis.stop()
    await until(() => server.redisReady === false)
    expect(value(await scrape(server), 'encrypted_socket_redis_ready')).toBe(0)
  })
})

describe('the CLI with --metrics-port', () => {
  it('serves GET /metrics and /healthz on 127.0.0.1, and /healthz answers 503 while it closes on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [CLI, '--port', '0', '--jwt-secret', SECRET, '--ecdh-info', ECDH_INFO, '--metrics-port', '0'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    onCleanup(() => child.kill('SIGKILL'))
    let output = ''
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
    const started = new Promise<{ url: string; metrics: string }>((resolve, reject) => {
      const read = (chunk: Buffer) => {
        output += chunk
        const url = /listening on (ws:\/\/\S+)/.exec(output)?.[1]
        const metrics = /metrics: (http:\/\/\S+)\/metrics/.exec(output)?.[1]
        if (url && metrics) resolve({ url, metrics })
      }
      child.stdout!.on('data', read)
      child.stderr!.on('data', read)
      void exited.then((code) => reject(new Error(`exited with ${code}: ${output}`)))
    })
    const { url, metrics } = await started
    expect(metrics).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const userToken = await token('cli-metrics-user')
    await client(url, { protocol: 'v2', token: userToken }).connect()
    const response = await fetch(`${metrics}/metrics`)
    expect(response.status).toBe(200)
    const families = parse(await response.text())
    expect(value(families, 'encrypted_socket_connections', { protocol: '2', authenticated: 'true' })).toBe(1)
    expect(value(families, 'encrypted_socket_handshakes_total', { protocol: '2' })).toBe(1)
    expectNoLabelHolds(families, ['cli-metrics-user', userToken, SECRET])
    expect((await fetch(`${metrics}/healthz`)).status).toBe(200)

    const stuck = rawClient(url)
    await stuck.opened
    ;(stuck.socket as unknown as { _socket: Socket })._socket.pause() // holds the shutdown open
    child.kill('SIGTERM')
    await vi.waitFor(() => expect(output).toMatch(/^SIGTERM: /m), { timeout: 5000 })
    expect((await fetch(`${metrics}/healthz`)).status).toBe(503)
    stuck.socket.terminate()
    expect(await exited).toBe(0)
  })
})
