import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { DropCounts } from './connection'
import type { DeliveryStats } from './delivery/deliveryStats'
import type { RedisRejections } from './redisFanout'
import {
  JOIN_REFUSALS,
  TOKEN_REFRESH_RESULTS,
  TOKEN_REFUSALS,
  UPGRADE_REFUSALS,
  type ServerEventCounts,
} from './serverEventCounts'

/** A connection as the metrics count it (a `ServerConnection` is one). */
export interface MeasuredConnection {
  readonly protocol: 1 | 2
  readonly authenticated: boolean
  readonly socket: { readonly isPaused: boolean }
}

/** What the metrics read from their server, each time they are scraped. */
export interface MetricsSource {
  connections(): Iterable<MeasuredConnection>
  /** Rooms with members on this instance. */
  rooms(): number
  stats(): DeliveryStats
  drops(): Readonly<DropCounts>
  events: Readonly<ServerEventCounts>
  /** The configured `maxConnections`, for alerts near it. */
  maxConnections: number
  /** Only with `workers` (null before the server started them). */
  sealWorkers: (() => SealWorkerCounts | null) | null
  /** Only with Redis (null from either before fan-out starts). */
  redis: { ready(): boolean | null; rejected(): Readonly<RedisRejections> | null } | null
}

/** What the metrics read from the seal workers (`workers`). */
export interface SealWorkerCounts {
  readonly running: number
  readonly restarts: number
  readonly sealedThere: number
  readonly sealedHere: number
}

/** Seconds: a Redis round trip on one host is well under a millisecond; across a region, a few. */
export const REDIS_HOP_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
]

type Sample<L extends string> = readonly [labels: Record<L, string>, value: number]

const PREFIX = 'encrypted_socket_'
const PROTOCOLS = [1, 2] as const

/**
 * One server's metrics in their own prom-client `Registry` (never the global one, so two servers
 * in one process do not collide). Counters and gauges read the server's own counts when scraped;
 * only the Redis hop is observed as it happens. Label values come from small fixed sets: never a
 * user, connection, room or token.
 */
export class ServerMetrics {
  readonly registry = new Registry()
  readonly #hop: Histogram | null = null

  constructor(source: MetricsSource) {
    const { events } = source
    // Read once per scrape (every collect of one scrape runs in the same tick), not once per metric.
    const stats = perScrape(() => source.stats())
    const connections = perScrape(() => tally(source.connections()))
    this.#gauge('max_connections', 'The configured maxConnections (more upgrades get 503).', [], () => [
      sample({}, source.maxConnections),
    ])
    this.#gauge(
      'connections',
      'Open connections, by protocol version and whether they authenticated.',
      ['protocol', 'authenticated'],
      () =>
        PROTOCOLS.flatMap((protocol) =>
          [true, false].map((authenticated) =>
            sample(
              { protocol: String(protocol), authenticated: String(authenticated) },
              connections().open.get(`${protocol}:${authenticated}`) ?? 0,
            ),
          ),
        ),
    )
    this.#gauge(
      'connections_read_paused',
      'Open connections whose reading is paused (incoming queue full).',
      [],
      () => [sample({}, connections().paused)],
    )
    this.#gauge('rooms', 'Rooms with members on this instance.', [], () => [sample({}, source.rooms())])
    this.#gauge(
      'v2_sessions',
      'v2 sessions held: attached to a connection, or waiting for a resume.',
      ['state'],
      () => {
        const { sessions, sessionsWaiting } = stats()
        return [
          sample({ state: 'attached' }, sessions - sessionsWaiting),
          sample({ state: 'waiting' }, sessionsWaiting),
        ]
      },
    )
    this.#gauge(
      'v2_unacknowledged_messages',
      'v2 session-stream messages sent and not yet acknowledged.',
      [],
      () => [sample({}, stats().unacknowledged)],
    )

    this.#counter(
      'handshakes_total',
      'Handshakes completed (the connection authenticated), by protocol version.',
      ['protocol'],
      () => PROTOCOLS.map((protocol) => sample({ protocol: String(protocol) }, events.handshakes[protocol])),
    )
    this.#counter('upgrades_refused_total', 'WebSocket upgrades refused, by reason.', ['reason'], () =>
      UPGRADE_REFUSALS.map((reason) => sample({ reason }, events.upgradesRefused[reason])),
    )
    this.#counter('tokens_refused_total', 'Tokens refused at the handshake, by reason.', ['reason'], () =>
      TOKEN_REFUSALS.map((reason) => sample({ reason }, events.tokensRefused[reason])),
    )
    this.#counter(
      'frames_dropped_total',
      'Frames dropped, by reason (the keys of server.drops).',
      ['reason'],
      () => Object.entries(source.drops()).map(([reason, count]) => sample({ reason }, count)),
    )
    this.#counter(
      'reads_paused_total',
      'Times reading from a connection paused because its incoming queue was full.',
      [],
      () => [sample({}, events.readsPaused)],
    )
    this.#counter(
      'slow_clients_closed_total',
      'Clients closed (1013) for staying above sendHighWaterMark longer than slowConsumerTimeout.',
      [],
      () => [sample({}, events.slowClientsClosed)],
    )

    this.#counter(
      'joins_refused_total',
      'Room joins refused: by authorizeJoin (forbidden), because it failed (failed), or a room name or count limit (limit).',
      ['reason'],
      () => JOIN_REFUSALS.map((reason) => sample({ reason }, events.joinsRefused[reason])),
    )
    this.#counter(
      'v2_token_refreshes_total',
      'v2 in-band token refreshes: accepted, refused (the connection closed 4401), or not checkable now (unavailable).',
      ['result'],
      () => TOKEN_REFRESH_RESULTS.map((result) => sample({ result }, events.tokenRefreshes[result])),
    )
    this.#counter(
      'v2_sessions_expired_total',
      'v2 connections ended (4401) because their token expired without a refresh.',
      [],
      () => [sample({}, events.sessionsExpired)],
    )
    this.#counter(
      'v2_resumes_total',
      'v2 resumes: the session resumed, or refused (a new session instead).',
      ['result'],
      () => {
        const { resumes, resumesRefused } = stats()
        return [sample({ result: 'resumed' }, resumes), sample({ result: 'refused' }, resumesRefused)]
      },
    )
    this.#counter(
      'v2_replayed_messages_total',
      'Messages sent again on a resume or a join with since.',
      [],
      () => [sample({}, stats().replayed)],
    )
    this.#counter(
      'v2_superseded_total',
      'Connections closed with 4009: their session resumed on another one.',
      [],
      () => [sample({}, stats().superseded)],
    )
    this.#counter(
      'v2_messages_dropped_total',
      'Unacknowledged session-stream messages dropped: the resume window ended, or resumeMaxMessages was reached.',
      ['reason'],
      () => {
        const { droppedAtWindowEnd, droppedOverflow } = stats()
        return [
          sample({ reason: 'window_end' }, droppedAtWindowEnd),
          sample({ reason: 'overflow' }, droppedOverflow),
        ]
      },
    )
    this.#counter(
      'v2_sessions_evicted_total',
      'Waiting sessions dropped early: their user had too many waiting.',
      [],
      () => [sample({}, stats().sessionsEvicted)],
    )
    this.#counter(
      'v2_duplicates_refused_total',
      'Client messages not processed again (repeated seq or idempotency key).',
      [],
      () => [sample({}, stats().duplicatesRefused)],
    )
    this.#counter('v2_requests_total', 'Requests answered, by result.', ['result'], () => {
      const { requests, requestsFailed } = stats()
      return [
        sample({ result: 'ok' }, requests - requestsFailed),
        sample({ result: 'error' }, requestsFailed),
      ]
    })
    this.#counter(
      'v2_room_recoveries_total',
      'Rooms reopened on a resume or a join with since: missed messages followed, or not.',
      ['recovered'],
      () => {
        const { roomsRecovered, roomsNotRecovered } = stats()
        return [
          sample({ recovered: 'true' }, roomsRecovered),
          sample({ recovered: 'false' }, roomsNotRecovered),
        ]
      },
    )

    this.#sealWorkerMetrics(source.sealWorkers)
    const { redis } = source
    if (!redis) return
    this.#gauge(
      'redis_ready',
      '1 while fan-out and the shared delivery state through Redis work, else 0.',
      [],
      () => [sample({}, redis.ready() ? 1 : 0)],
    )
    this.#counter('redis_rejected_total', 'Messages from Redis not delivered, by reason.', ['reason'], () =>
      Object.entries(redis.rejected() ?? {}).map(([reason, count]) => sample({ reason }, count)),
    )
    this.#hop = new Histogram({
      name: `${PREFIX}redis_hop_seconds`,
      help: "Time from PUBLISH of this instance's own fan-out envelope to its arrival on this instance's subscription.",
      buckets: REDIS_HOP_BUCKETS,
      registers: [this.registry],
    })
  }

  /** Only with `workers`: how many run, how often one was replaced, where fan-out was sealed. */
  #sealWorkerMetrics(read: MetricsSource['sealWorkers']): void {
    if (!read) return
    const counts = () => read() ?? { running: 0, restarts: 0, sealedThere: 0, sealedHere: 0 }
    this.#gauge('seal_workers_running', 'Seal workers (the workers option) running now.', [], () => [
      sample({}, counts().running),
    ])
    this.#counter(
      'seal_worker_restarts_total',
      'Seal workers started again after one died (after 4 in a minute, none: the main thread seals).',
      [],
      () => [sample({}, counts().restarts)],
    )
    this.#counter(
      'seal_frames_total',
      'Fan-out frames sealed in a worker, or on the main thread because their worker could not.',
      ['where'],
      () => {
        const { sealedThere, sealedHere } = counts()
        return [sample({ where: 'worker' }, sealedThere), sample({ where: 'main' }, sealedHere)]
      },
    )
  }

  /** One Redis hop, in seconds (ignored without Redis). */
  observeRedisHop(seconds: number): void {
    this.#hop?.observe(seconds)
  }

  /** The Prometheus text format. */
  text(): Promise<string> {
    return this.registry.metrics()
  }

  #gauge<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    read: () => Sample<L>[],
  ): void {
    new Gauge<L>({
      name: PREFIX + name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        this.reset()
        for (const [labels, value] of read()) this.set(labels, value)
      },
    })
  }

  /** A counter that reports a count kept elsewhere (it only grows there). */
  #counter<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    read: () => Sample<L>[],
  ): void {
    new Counter<L>({
      name: PREFIX + name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        this.reset()
        for (const [labels, value] of read()) this.inc(labels, value)
      },
    })
  }
}

/** `read()` at most once per tick: its value is shared by the collects of one scrape. */
function perScrape<T>(read: () => T): () => T {
  let cached: { value: T } | null = null
  return () => {
    if (!cached) {
      cached = { value: read() }
      queueMicrotask(() => (cached = null))
    }
    return cached.value
  }
}

/** Open connections by `protocol:authenticated`, and how many have their reading paused. */
function tally(connections: Iterable<MeasuredConnection>): { open: Map<string, number>; paused: number } {
  const open = new Map<string, number>()
  let paused = 0
  for (const { protocol, authenticated, socket } of connections) {
    const key = `${protocol}:${authenticated}`
    open.set(key, (open.get(key) ?? 0) + 1)
    if (socket.isPaused) paused++
  }
  return { open, paused }
}

function sample<L extends string>(labels: Record<L, string>, value: number): Sample<L> {
  return [labels, value]
}
