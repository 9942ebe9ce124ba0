import type { KeyObject } from 'node:crypto'
import { Redis } from 'ioredis'
import { hopKey, openHop, sealHop } from './crypto/redisHop'
import {
  encodeEnvelope,
  parseEnvelope,
  ReplayFilter,
  type Envelope,
  type EnvelopeRejection,
  type FanoutMessage,
} from './fanoutEnvelope'
import { HopTimer } from './hopTimer'
import type { ServerLogger } from './logger'

export type { FanoutMessage, FanoutTarget } from './fanoutEnvelope'

export interface RedisOptions {
  /** `redis://host:port` (or `rediss://` for TLS to Redis). */
  url: string
  /** Prefix of every key and channel, so several apps can share one Redis. @default 'encrypted-socket' */
  keyPrefix?: string
  /**
   * Encrypts what crosses Redis (AES-256-GCM, key derived from this secret with HKDF): set the same
   * secret on every instance. Without it, fan-out messages cross Redis as plaintext JSON.
   */
  secret?: string
  /**
   * Allow a Redis beyond loopback without `secret`. Anyone who can write to that Redis can then
   * send any event to any room or user. @default false
   */
  allowPlaintext?: boolean
  /**
   * v2 delivery state in Redis too (sessions, client seqs, unacknowledged messages, idempotency
   * keys, room streams): a client resumes on any instance, even after the one it was on died, and
   * room seqs are allocated once per room across instances. `false`: each instance keeps its own
   * (a resume works on the same instance only). @default true
   */
  sharedDelivery?: boolean
}

/** Envelopes from Redis that were not delivered, by reason ('overflow': the inbox was full). */
export type RedisRejections = Record<EnvelopeRejection | 'failed' | 'overflow', number>

/** One local room membership, as presence stores it. */
export interface Membership {
  room: string
  connectionId: string
  userId: string
}

const HEARTBEAT_MS = 5000
const ALIVE_MS = 15_000
/** How old (or how far ahead, clocks differ) an envelope may be when it arrives. */
const MAX_ENVELOPE_AGE_MS = 30_000
/** A flood of bad envelopes is logged at most this often. */
const REJECTION_LOG_MS = 10_000
/** Envelopes are handled in slices of this many ms, so that a burst cannot stall the event loop. */
const SLICE_MS = 4
/** Envelopes, and their characters, waiting to be handled; beyond either a burst is dropped (and counted). */
const MAX_INBOX = 100_000
const MAX_INBOX_CHARS = 64 * 1024 * 1024
/** Far above any envelope (maxPayload is 2 MiB by default): longer text is not even decoded. */
const MAX_ENVELOPE_CHARS = 16 * 1024 * 1024

/**
 * Rooms, users and broadcasts across server instances through Redis pub/sub, plus room presence.
 * Each instance encrypts for its own connections, so only server-side plaintext events cross
 * Redis (or ciphertext under `secret`). When Redis is unreachable the instance keeps serving its
 * own connections, reports it, and resumes fan-out (and re-publishes its presence) when Redis
 * returns.
 */
export class RedisFanout {
  readonly instanceId: string
  /** Fan-out messages that could not be published while Redis was down. */
  dropped = 0
  /** Envelopes received and not delivered: not readable (wrong secret), not valid, replayed, stale, or delivery threw. */
  readonly rejected: RedisRejections = {
    unreadable: 0,
    invalid: 0,
    replayed: 0,
    stale: 0,
    failed: 0,
    overflow: 0,
  }
  /** Times the hop of this instance's own envelopes, PUBLISH to their echo (the `redis_hop_seconds` metric). */
  readonly hops = new HopTimer()

  readonly #publisher: Redis
  readonly #subscriber: Redis
  readonly #channel: string
  readonly #prefix: string
  readonly #logger: ServerLogger
  readonly #key: KeyObject | null
  readonly #replays = new ReplayFilter(MAX_ENVELOPE_AGE_MS)
  readonly #deliver: (message: FanoutMessage, own: boolean) => void
  /** What arrived and waits for its slice, with when it arrived (freshness counts from then; `hr`: performance.now()). */
  readonly #inbox: { text: string; at: number; hr: number }[] = []
  #inboxHead = 0
  #inboxChars = 0
  #draining = false
  #seq = 0
  #lastRejectionLog = 0
  #ready = false
  #publishing = Promise.resolve()
  #heartbeat: ReturnType<typeof setInterval> | null = null

  constructor(
    options: RedisOptions,
    logger: ServerLogger,
    /** `own`: this instance's own session control, echoed back (its place in the channel's order). */
    deliver: (message: FanoutMessage, own: boolean) => void,
    localMemberships: () => Membership[],
    instanceId: string = crypto.randomUUID(),
  ) {
    this.instanceId = instanceId
    this.#prefix = options.keyPrefix ?? 'encrypted-socket'
    this.#channel = `${this.#prefix}:fanout`
    this.#logger = logger
    this.#key = options.secret ? hopKey(options.secret) : null
    // Publishing fails fast while Redis is down, instead of replaying stale events later.
    this.#publisher = new Redis(options.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 })
    this.#subscriber = new Redis(options.url)
    for (const [name, client] of [
      ['publisher', this.#publisher],
      ['subscriber', this.#subscriber],
    ] as const) {
      client.on('error', (error: Error) => logger.warn('redis error', { client: name, error: error.message }))
    }
    // Fan-out works when both connections are up: publishing, and subscribed (ioredis re-subscribes).
    const update = () => {
      const ready = this.#publisher.status === 'ready' && this.#subscriber.status === 'ready'
      if (ready === this.#ready) return
      this.#ready = ready
      if (ready) {
        logger.info('redis ready: fan-out on', { instance: this.instanceId })
        void this.#announce(localMemberships())
      } else {
        logger.warn('redis unreachable: serving local connections only', { instance: this.instanceId })
      }
    }
    for (const client of [this.#publisher, this.#subscriber]) {
      client.on('ready', update)
      client.on('close', update)
    }
    // Envelopes are handled in arrival order, a time slice at a time. Nothing from Redis may
    // throw inside ioredis's handler: that would take every instance down.
    this.#deliver = deliver
    this.#subscriber.on('message', (channel: string, text: unknown) => {
      if (channel !== this.#channel) return
      if (typeof text !== 'string' || text.length > MAX_ENVELOPE_CHARS) return void this.#reject('invalid')
      if (
        this.#inbox.length - this.#inboxHead >= MAX_INBOX ||
        this.#inboxChars + text.length > MAX_INBOX_CHARS
      ) {
        return void this.#reject('overflow')
      }
      this.#inbox.push({ text, at: Date.now(), hr: performance.now() })
      this.#inboxChars += text.length
      this.#scheduleDrain()
    })
    void this.#subscriber
      .subscribe(this.#channel)
      .catch((error: Error) => logger.warn('redis subscribe failed', { error: error.message }))
    this.#heartbeat = setInterval(() => void this.#beat(), HEARTBEAT_MS)
  }

  /** The sequence number of the last envelope this instance published (its place in the channel's order). */
  get published(): number {
    return this.#seq - 1
  }

  /** True while fan-out works. */
  get ready(): boolean {
    return this.#ready
  }

  /** Sends to the other instances; false (and counted) when Redis is down. */
  async publish(message: FanoutMessage): Promise<boolean> {
    const envelope: Envelope = { ...message, origin: this.instanceId, seq: this.#seq++, time: Date.now() }
    const text = encodeEnvelope(envelope)
    const sealed = this.#key ? sealHop(this.#key, text, this.#channel) : text
    // Publishing in call order: one instance's events keep their order.
    const published = this.#publishing.then(async () => {
      try {
        this.hops.sent(envelope.seq)
        await this.#publisher.publish(this.#channel, sealed)
        return true
      } catch {
        this.hops.failed(envelope.seq)
        this.dropped++
        return false
      }
    })
    this.#publishing = published.then(() => undefined)
    return published
  }

  /** Records or removes one membership for presence. */
  async setPresence(membership: Membership, present: boolean): Promise<void> {
    const key = this.#presenceKey(membership.room)
    const field = `${this.instanceId}:${membership.connectionId}`
    try {
      if (present) await this.#publisher.hset(key, field, membership.userId)
      else await this.#publisher.hdel(key, field)
    } catch {
      // Redis is down: presence is re-announced when it returns.
    }
  }

  /** The users in a room on every live instance. */
  async presence(room: string): Promise<string[]> {
    const [entries, alive] = await Promise.all([
      this.#publisher.hgetall(this.#presenceKey(room)),
      this.#publisher.zrangebyscore(this.#instancesKey(), Date.now() - ALIVE_MS, '+inf'),
    ])
    const live = new Set(alive)
    const users = Object.entries(entries)
      .filter(([field]) => live.has(field.slice(0, field.indexOf(':'))))
      .map(([, userId]) => userId)
    return [...new Set(users)].sort()
  }

  /** Disconnects at once, as a crash would (tests): nothing more is published, presence stays. */
  abort(): void {
    if (this.#heartbeat) clearInterval(this.#heartbeat)
    this.#subscriber.disconnect()
    this.#publisher.disconnect()
  }

  /** Removes this instance's presence and disconnects. */
  async close(memberships: Membership[]): Promise<void> {
    if (this.#heartbeat) clearInterval(this.#heartbeat)
    if (this.#ready) {
      await Promise.all(memberships.map((membership) => this.setPresence(membership, false)))
      await this.#publisher.zrem(this.#instancesKey(), this.instanceId).catch(() => undefined)
    }
    this.#subscriber.disconnect()
    this.#publisher.disconnect()
  }

  #scheduleDrain(): void {
    if (this.#draining) return
    this.#draining = true
    setImmediate(() => this.#drain())
  }

  /** Handles waiting envelopes for one slice, then lets other work run before the next. */
  #drain(): void {
    const deadline = performance.now() + SLICE_MS
    while (this.#inboxHead < this.#inbox.length && performance.now() < deadline) {
      const { text, at, hr } = this.#inbox[this.#inboxHead++]!
      this.#inboxChars -= text.length
      this.#handle(text, at, hr)
    }
    if (this.#inboxHead === this.#inbox.length) {
      this.#inbox.length = 0
      this.#inboxHead = 0
      this.#draining = false
      return
    }
    if (this.#inboxHead > 1024) {
      this.#inbox.splice(0, this.#inboxHead) // handled ones, so the array does not only grow
      this.#inboxHead = 0
    }
    setImmediate(() => this.#drain())
  }

  #handle(text: string, receivedAt: number, arrivedAt: number): void {
    const envelope = this.#open(text, receivedAt)
    if (!envelope) return
    const own = envelope.origin === this.instanceId
    if (own) this.hops.arrived(envelope.seq, arrivedAt)
    // Our own, echoed back by Redis: delivered already, except session control.
    if (own && envelope.target.kind !== 'session') return
    try {
      this.#deliver({ target: envelope.target, event: envelope.event, data: envelope.data }, own)
    } catch (error) {
      this.#reject('failed', error instanceof Error ? error.name : typeof error)
    }
  }

  /** The envelope, or null (counted, and logged now and then) when it must not be delivered. */
  #open(sealed: string, receivedAt: number): Envelope | null {
    const text = this.#key ? openHop(this.#key, sealed, this.#channel) : sealed
    if (text === null) return this.#reject('unreadable')
    const envelope = parseEnvelope(text)
    if (!envelope) return this.#reject('invalid')
    if (envelope.origin === this.instanceId) return envelope // our own, echoed back by Redis
    const rejection = this.#replays.check(envelope, receivedAt)
    return rejection ? this.#reject(rejection) : envelope
  }

  #reject(reason: keyof RedisRejections, error?: string): null {
    this.rejected[reason]++
    const now = Date.now()
    if (now - this.#lastRejectionLog >= REJECTION_LOG_MS) {
      this.#lastRejectionLog = now
      const hint = reason === 'unreadable' ? ' (another secret, or not from an instance)' : ''
      this.#logger.warn(`dropped fan-out messages from redis${hint}`, { reason, ...this.rejected, error })
    }
    return null
  }

  async #announce(memberships: Membership[]): Promise<void> {
    await this.#beat()
    await Promise.all(memberships.map((membership) => this.setPresence(membership, true)))
  }

  async #beat(): Promise<void> {
    this.#replays.prune()
    await this.#publisher.zadd(this.#instancesKey(), Date.now(), this.instanceId).catch(() => undefined)
  }

  #presenceKey(room: string): string {
    return `${this.#prefix}:presence:${room}`
  }

  #instancesKey(): string {
    return `${this.#prefix}:instances`
  }
}
