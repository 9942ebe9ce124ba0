import type { KeyObject } from 'node:crypto'
import { Redis } from 'ioredis'
import { openStored, sealStored, storeKey } from '../crypto/redisHop'
import { ReplayFilter, type Envelope, type SessionControl } from '../fanoutEnvelope'
import type { ServerLogger } from '../logger'
import { OutgoingMessage } from '../outgoing'
import type { Answer } from './answer'
import type { DeliveryCounters } from './deliveryStats'
import { MemoryKeyStore, type KeyClaim, type KeyHolder, type KeyStore } from './idempotencyKeys'
import {
  MemoryRoomLog,
  type RoomContent,
  type RoomEntry,
  type RoomHistoryLimits,
  type RoomLog,
  type RoomPosition,
  type RoomRead,
} from './roomLog'
import { Session, type SessionEntry, type SessionJournal } from './session'
import { MemorySessionStore, type SessionStore } from './sessionStore'
import {
  ROOM_APPEND,
  ROOM_READ,
  SESSION_ACK,
  SESSION_CLAIM,
  SESSION_DROP,
  SESSION_OPEN,
  SESSION_PUSH,
  SESSION_ROOM,
  SESSION_SET,
} from './redisScripts'

/** How long a resume waits for the instance holding the session to release it (a dead one never does). */
export const RELEASE_WAIT_MS = 2000
/** How long an attached session's keys live without being renewed (the sweep renews them far more often). */
const ATTACHED_SLACK_MS = 60_000
/** Idempotency keys of a connection still open live this long at most (then as if its window ended). */
const KEY_OPEN_TTL_MS = 24 * 60 * 60 * 1000
/** A second claim of a key still being processed elsewhere polls this often, for at most this long. */
const KEY_POLL_MS = 20
const KEY_WAIT_MS = 60_000
/** An instance whose heartbeat is older than this is taken for dead (as presence does). */
const ALIVE_MS = 15_000
/** How old (or how far ahead) a published room entry may be when it arrives (as for fan-out envelopes). */
const MAX_ENTRY_AGE_MS = 30_000

export interface SharedDeliveryOptions {
  url: string
  prefix: string
  secret: string | undefined
  instanceId: string
  resumeWindow: number
  resumeMaxMessages: number
  resumeMaxBytes: number
  roomHistory: RoomHistoryLimits
  idempotencyKeysPerUser: number
  now: () => number
  logger: ServerLogger
  counters: DeliveryCounters
  /** Publishes session control on the fan-out channel (in order with the user messages). */
  publish: (control: SessionControl) => Promise<boolean>
  /** The fan-out sequence number of the last envelope this instance published. */
  published: () => number
  /** A room entry, from whichever instance appended it, in the room's seq order. */
  onRoomEntry: (room: string, entry: RoomEntry, message: OutgoingMessage) => void
}

type Reply = string | number | null | Reply[]

interface Scripts {
  esOpen(h: string, l: string, r: string, ...args: (string | number)[]): Promise<Reply>
  esPush(h: string, l: string, r: string, ...args: (string | number)[]): Promise<Reply>
  esAck(h: string, l: string, r: string, ...args: (string | number)[]): Promise<Reply>
  esSet(h: string, l: string, r: string, ...args: (string | number)[]): Promise<Reply>
  esRoom(h: string, l: string, r: string, ...args: (string | number)[]): Promise<Reply>
  esDrop(h: string, l: string, r: string, ...args: (string | number)[]): Promise<Reply>
  esClaim(h: string, l: string, r: string, ...args: (string | number)[]): Promise<Reply>
  esRoomAppend(meta: string, history: string, ...args: (string | number)[]): Promise<Reply>
  esRoomRead(meta: string, history: string, ...args: (string | number)[]): Promise<Reply>
}

/** Seals what is stored under the secret (AES-256-GCM, the stored place as additional data); base64 without one. */
class Vault {
  readonly #key: KeyObject | null
  constructor(secret: string | undefined) {
    this.#key = secret ? storeKey(secret) : null
  }
  seal(bytes: Uint8Array, aad: string): string {
    return this.#key ? sealStored(this.#key, bytes, aad) : Buffer.from(bytes).toString('base64')
  }
  open(text: string, aad: string): Buffer | null {
    return this.#key ? openStored(this.#key, text, aad) : Buffer.from(text, 'base64')
  }
}

/**
 * v2 delivery state in Redis, shared by every instance (PROTOCOL-v2.md §6, "scaled out"): the
 * sessions (written through as they change, claimed by the instance a client resumes on), the
 * idempotency keys and the room streams. One command connection (in order: a session's writes
 * reach Redis in the order they were made) and one subscriber for room entries.
 */
export class RedisDelivery {
  readonly sessions: RedisSessionStore
  readonly roomLog: RedisRoomLog
  readonly keys: RedisKeyStore
  /** Fails fast while Redis is unreachable (rooms, keys and resumes then fall back to memory). */
  readonly redis: Redis & Scripts
  /** Session write-through: queued while Redis is unreachable and written, in order, when it returns. */
  readonly journalRedis: Redis & Scripts
  readonly #subscriber: Redis
  readonly #options: SharedDeliveryOptions
  readonly vault: Vault
  readonly roomsChannel: string
  /** Room entries from Redis not delivered: not readable (another secret), not valid, replayed, stale. */
  readonly rejected = { unreadable: 0, invalid: 0, replayed: 0, stale: 0 }
  readonly #replays = new ReplayFilter(MAX_ENTRY_AGE_MS)
  /** This instance's counter of the room entries it appends (sealed in each: replays are refused). */
  #appended = 0

  constructor(options: SharedDeliveryOptions) {
    this.#options = options
    this.vault = new Vault(options.secret)
    this.redis = new Redis(options.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
    }) as Redis & Scripts
    this.journalRedis = new Redis(options.url, { maxRetriesPerRequest: null }) as Redis & Scripts
    const scripts: [keyof Scripts, string, number][] = [
      ['esOpen', SESSION_OPEN, 3],
      ['esPush', SESSION_PUSH, 3],
      ['esAck', SESSION_ACK, 3],
      ['esSet', SESSION_SET, 3],
      ['esRoom', SESSION_ROOM, 3],
      ['esDrop', SESSION_DROP, 3],
      ['esClaim', SESSION_CLAIM, 3],
      ['esRoomAppend', ROOM_APPEND, 2],
      ['esRoomRead', ROOM_READ, 2],
    ]
    for (const [name, lua, numberOfKeys] of scripts) {
      this.redis.defineCommand(name, { lua, numberOfKeys })
      this.journalRedis.defineCommand(name, { lua, numberOfKeys })
    }
    this.roomsChannel = `${options.prefix}:rooms`
    this.#subscriber = new Redis(options.url)
    for (const client of [this.redis, this.journalRedis, this.#subscriber]) {
      client.on('error', (error: Error) =>
        options.logger.warn('redis error', { client: 'delivery', error: error.message }),
      )
    }
    this.#subscriber.on('message', (channel: string, text: unknown) => {
      if (channel === this.roomsChannel && typeof text === 'string') this.#roomEntry(text)
    })
    void this.#subscriber
      .subscribe(this.roomsChannel)
      .catch((error: Error) => options.logger.warn('redis subscribe failed', { error: error.message }))
    this.sessions = new RedisSessionStore(this, options)
    this.roomLog = new RedisRoomLog(this, options)
    this.keys = new RedisKeyStore(this, options)
  }

  get options(): SharedDeliveryOptions {
    return this.#options
  }

  /** Whether Redis answers now (else rooms, keys and resumes fall back to this instance's memory). */
  get ready(): boolean {
    return this.redis.status === 'ready' && this.#subscriber.status === 'ready'
  }

  /** Who appended a room entry, its place among that instance's, and when (sealed with the content). */
  nextOrigin(): { o: string; q: number; t: number } {
    return { o: this.#options.instanceId, q: this.#appended++, t: Date.now() }
  }

  key(...parts: string[]): string {
    return [this.#options.prefix, ...parts].join(':')
  }

  /** Whether an instance sent its heartbeat lately (the fan-out's `<prefix>:instances`). */
  async alive(instanceId: string): Promise<boolean> {
    const beat = await this.redis.zscore(this.key('instances'), instanceId).catch(() => null)
    return beat !== null && Number(beat) >= Date.now() - ALIVE_MS
  }

  /** Renews what this instance holds: attached sessions, and the rooms it serves. */
  sweep(roomsHeld: Iterable<string>): void {
    this.#replays.prune()
    this.keys.sweep()
    this.roomLog.sweep()
    if (!this.ready) return
    this.sessions.renew()
    const ttl = this.roomLog.ttl
    for (const room of roomsHeld) {
      void this.redis.pexpire(this.key('roomseq', room), ttl).catch(() => undefined)
      void this.redis.pexpire(this.key('roomlog', room), ttl).catch(() => undefined)
    }
  }

  /** Disconnects (gracefully: what was sent is written; `abort`: at once). */
  close(abort = false): void {
    if (abort) {
      this.redis.disconnect()
      this.journalRedis.disconnect()
      this.#subscriber.disconnect()
      return
    }
    void this.redis.quit().catch(() => undefined)
    void this.journalRedis.quit().catch(() => undefined)
    this.#subscriber.disconnect()
  }

  /** A published room entry: delivered once, fresh, in its appending instance's order; never throws. */
  #roomEntry(text: string): void {
    let value: Record<string, unknown> | null
    try {
      value = JSON.parse(text) as Record<string, unknown> | null
    } catch {
      return this.#reject('invalid')
    }
    if (typeof value !== 'object' || value === null) return this.#reject('invalid')
    const { r: room, e: epoch, s: seq, a, b } = value
    if (
      typeof room !== 'string' ||
      typeof epoch !== 'string' ||
      typeof b !== 'string' ||
      !Number.isSafeInteger(seq)
    )
      return this.#reject('invalid')
    const read = this.roomLog.decode(room, epoch, seq as number, Number(a), b)
    if (!read) return this.#reject('unreadable')
    const { origin } = read
    const rejection = this.#replays.check({ origin: origin.o, seq: origin.q, time: origin.t } as Envelope)
    if (rejection) return this.#reject(rejection)
    try {
      this.#options.onRoomEntry(room, read.entry, read.message)
    } catch (error) {
      this.#options.logger.error('room entry delivery failed', { error: String(error) })
    }
  }

  #reject(reason: keyof RedisDelivery['rejected']): void {
    this.rejected[reason]++
    this.#options.logger.warn('dropped a room entry from redis', { reason })
  }
}

// ---------------------------------------------------------------------------------------------
// Sessions

/** A resume claiming a session held by another instance: what it waits for, and the user messages it keeps meanwhile. */
interface PendingClaim {
  userId: string
  /** The fan-out sequence number of our `supersede` (null until published). */
  position: number | null
  /** Our `supersede` came back from Redis. */
  echoed: boolean
  buffer: ((seq: number) => Uint8Array)[]
  echo(): void
  release(): void
}

/** A session's changes, written through to Redis in order under the generation this instance claimed. */
class RedisJournal implements SessionJournal {
  readonly #shared: RedisDelivery
  readonly #keys: [string, string, string]
  gen: string
  /** Handed to another instance: nothing more is written. */
  closed = false
  #last: Promise<unknown> = Promise.resolve()

  constructor(shared: RedisDelivery, sessionId: string, gen: string) {
    this.#shared = shared
    this.#keys = [
      shared.key('session', sessionId),
      shared.key('session', sessionId, 'stream'),
      shared.key('session', sessionId, 'rooms'),
    ]
    this.gen = gen
  }

  get streamKey(): string {
    return this.#keys[1]
  }

  open(userId: string): void {
    const { options } = this.#shared
    this.#run('esOpen', userId, options.instanceId, this.#attachedTtl())
  }

  pushed(entry: SessionEntry): void {
    const sealed = this.#shared.vault.seal(entry.plaintext, `${this.#keys[1]}#${entry.seq}`)
    this.#run('esPush', this.gen, entry.seq, `${entry.seq}:${sealed}`, this.#shared.options.resumeMaxMessages)
  }

  acknowledged(seq: number): void {
    this.#run('esAck', this.gen, seq)
  }

  processed(seq: number): void {
    this.#run('esSet', this.gen, this.#attachedTtl(), 'lastProcessed', seq)
  }

  roomJoined(room: string): void {
    this.#run('esRoom', this.gen, 'add', room)
  }

  roomLeft(room: string): void {
    this.#run('esRoom', this.gen, 'rem', room)
  }

  attached(): void {
    this.#run('esSet', this.gen, this.#attachedTtl(), 'endedAt', '', 'owner', this.#shared.options.instanceId)
  }

  detached(at: number): void {
    // The window counts from now; a little more, so that the instance's own sweep forgets it first.
    this.#run('esSet', this.gen, this.#shared.options.resumeWindow + 1000, 'endedAt', at)
  }

  /** Keeps an attached session's keys alive. */
  renew(): void {
    this.#run('esSet', this.gen, this.#attachedTtl())
  }

  forgotten(): void {
    this.#run('esDrop', this.gen)
  }

  flushed(): Promise<void> {
    return this.#last.then(() => undefined)
  }

  #attachedTtl(): number {
    return this.#shared.options.resumeWindow + ATTACHED_SLACK_MS
  }

  #run(command: keyof Scripts, ...args: (string | number)[]): void {
    if (this.closed) return
    const [h, l, r] = this.#keys
    const { journalRedis } = this.#shared
    const run = (journalRedis[command] as (...a: (string | number)[]) => Promise<Reply>)
      .call(journalRedis, h, l, r, ...args)
      .then((reply) => {
        if (reply === 0)
          this.#shared.options.logger.debug('session write refused: claimed elsewhere', { command })
      })
      .catch((error: Error) =>
        this.#shared.options.logger.warn('session write to redis failed', { command, error: error.message }),
      )
    this.#last = run
  }
}

/**
 * Sessions in Redis, worked on in the memory of the instance holding them: every change is written
 * through (`RedisJournal`), so that a resume on any instance, even after this one died, finds the
 * session stream's unacknowledged messages, the last client seq processed and the rooms. A resume
 * on another instance asks this one (fan-out channel, `supersede`) to close its connection with
 * 4009, finish the message it processes and write it through, and answer `released`; then it
 * claims the session (one Lua script: the generation it read, or nothing) and loads it.
 */
export class RedisSessionStore implements SessionStore {
  readonly #shared: RedisDelivery
  readonly #options: SharedDeliveryOptions
  readonly #local = new MemorySessionStore()
  /** Resumes of sessions held elsewhere, being claimed here. */
  readonly #claims = new Map<string, PendingClaim>()

  constructor(shared: RedisDelivery, options: SharedDeliveryOptions) {
    this.#shared = shared
    this.#options = options
  }

  add(session: Session): void {
    this.#local.add(session)
    if (session.journal) return // restored: its journal holds its claim
    const journal = new RedisJournal(this.#shared, session.id, '1')
    session.journal = journal
    journal.open(session.userId)
  }

  async get(id: string, userId: string): Promise<Session | undefined> {
    const held = this.#local.peek(id)
    if (held && !held.handingOff) return held // being handed off: claimed from Redis like any other
    if (!this.#shared.ready) return undefined // Redis unreachable: a resume works on the instance holding it
    const read = await this.#shared.redis
      .hmget(this.#shared.key('session', id), 'user', 'owner', 'gen')
      .catch(() => [null, null, null])
    const [user, owner, gen] = read
    if (user == null || gen == null || user !== userId) return undefined
    const claim: PendingClaim = {
      userId,
      position: null,
      echoed: false,
      buffer: [],
      echo: () => undefined,
      release: () => undefined,
    }
    this.#claims.set(id, claim)
    try {
      if (owner != null && owner !== this.#options.instanceId) await this.#release(id, owner, claim)
      return await this.#claim(id, gen, claim)
    } catch (error) {
      this.#options.logger.warn('resume not claimed: redis failed', { error: String(error) })
      return undefined
    } finally {
      if (this.#claims.get(id) === claim) this.#claims.delete(id)
    }
  }

  /** Claims the session in Redis (if still at `gen`) and loads it, with what was captured meanwhile. */
  async #claim(id: string, gen: string, claim: PendingClaim): Promise<Session | undefined> {
    const { redis } = this.#shared
    const key = this.#shared.key('session', id)
    const journal = new RedisJournal(this.#shared, id, gen)
    const claimed = (await redis.esClaim(
      key,
      journal.streamKey,
      this.#shared.key('session', id, 'rooms'),
      gen,
      this.#options.instanceId,
      this.#options.resumeWindow + ATTACHED_SLACK_MS,
    )) as Reply[] | null
    if (!Array.isArray(claimed) || claimed.length < 7) return undefined // gone, or claimed elsewhere meanwhile
    const [newGen, claimedUser, lastSeq, lastProcessed, endedAt, entries, rooms] = claimed as [
      string,
      string,
      string,
      string,
      string,
      string[],
      string[],
    ]
    journal.gen = newGen
    const unacked: SessionEntry[] = []
    for (const stored of entries) {
      const colon = stored.indexOf(':')
      const seq = Number(stored.slice(0, colon))
      const plaintext = this.#shared.vault.open(stored.slice(colon + 1), `${journal.streamKey}#${seq}`)
      if (!plaintext) {
        this.#options.logger.warn('a stored session message does not open (another secret?)', { session: id })
        unacked.length = 0 // a resume from before what is held is refused, as after an overflow
        continue
      }
      unacked.push({ seq, plaintext: new Uint8Array(plaintext) })
    }
    const session = Session.restore(
      {
        id,
        userId: claimedUser,
        lastSeq: Number(lastSeq),
        lastProcessed: Number(lastProcessed),
        endedAt: endedAt === '' ? null : Number(endedAt),
        unacked,
        rooms,
      },
      this.#options.resumeMaxMessages,
      this.#options.counters,
    )
    session.maxBytes = this.#options.resumeMaxBytes
    // No connection holds it here yet; when the instance that did died, its window counts from now.
    session.endedAt ??= this.#options.now()
    session.journal = journal
    this.#local.add(session)
    this.#claims.delete(id)
    for (const plaintext of claim.buffer) session.push(plaintext)
    return session
  }

  ofUser(userId: string): Iterable<Session> {
    return this.#local.ofUser(userId)
  }

  delete(session: Session): void {
    this.#local.delete(session)
  }

  all(): Iterable<Session> {
    return this.#local.all()
  }

  renew(): void {
    for (const session of this.#local.all()) {
      if (session.owner) (session.journal as RedisJournal | null)?.renew()
    }
  }

  /** Session control from another instance. */
  control(control: SessionControl, own = false): void {
    if (own) {
      // Our own supersede, back from Redis: what follows it on the channel, its holder no longer takes.
      const claim = control.op === 'supersede' ? this.#claims.get(control.session) : undefined
      if (claim) {
        claim.echoed = true
        claim.echo()
      }
      return
    }
    if (control.op === 'released') return void this.#claims.get(control.session)?.release()
    void this.#handOff(control.session)
  }

  /**
   * A message to a user: kept for each of the user's sessions being claimed here that its previous
   * holder will not take any more (it came after the `supersede` on the fan-out channel: from
   * another instance, once our `supersede` came back; from this one, `position` after it).
   */
  capture(userId: string, plaintext: (seq: number) => Uint8Array, position?: number): void {
    for (const claim of this.#claims.values()) {
      if (claim.userId !== userId) continue
      const after =
        position === undefined ? claim.echoed : claim.position !== null && position > claim.position
      if (after) claim.buffer.push(plaintext)
    }
  }

  /** Another instance resumes a session held here: close its connection, finish, write through, release. */
  async #handOff(id: string): Promise<void> {
    const session = this.#local.peek(id)
    if (session) {
      session.handingOff = true
      const previous = session.owner
      session.detach(previous ?? { flush() {}, supersede() {} }, this.#options.now())
      previous?.supersede()
      await session.settled()
      const journal = session.journal as RedisJournal | null
      await journal?.flushed()
      if (journal) journal.closed = true
      if (this.#local.peek(id) === session) this.#local.delete(session)
      session.forgotten = true
    }
    await this.#options.publish({ kind: 'session', session: id, op: 'released' })
  }

  /** Asks the instance holding the session to release it, and waits for that (not for a dead one). */
  async #release(id: string, owner: string, claim: PendingClaim): Promise<void> {
    const alive = await this.#shared.alive(owner)
    const echoed = new Promise<void>((resolve) => (claim.echo = resolve))
    const released = new Promise<void>((resolve) => (claim.release = resolve))
    const published = this.#options.publish({ kind: 'session', session: id, op: 'supersede' })
    claim.position = this.#options.published()
    if (!(await published)) return // nobody hears it: Redis pub/sub is down
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, RELEASE_WAIT_MS)))
    // A dead holder never answers: its place in the channel's order is enough then.
    await Promise.race([alive ? released : echoed, timeout])
    clearTimeout(timer)
  }
}

// ---------------------------------------------------------------------------------------------
// Room streams

type EntryOrigin = { o: string; q: number; t: number }

/** A room message's content as stored: who appended it (o, q, t), its event and data (binary as base64). */
function encodeContent({ event, data }: RoomContent, origin: EntryOrigin): Uint8Array {
  const bytes = data instanceof Uint8Array ? data : data instanceof ArrayBuffer ? new Uint8Array(data) : null
  const json = bytes
    ? JSON.stringify({
        ...origin,
        event,
        bin: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64'),
      })
    : JSON.stringify({ ...origin, event, data })
  return Buffer.from(json, 'utf8')
}

function decodeContent(bytes: Buffer): { message: OutgoingMessage; origin: EntryOrigin } | null {
  try {
    const value = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>
    const { event, data, bin, o, q, t } = value
    if (typeof event !== 'string' || typeof o !== 'string' || !Number.isSafeInteger(q) || !Number.isFinite(t))
      return null
    const origin = { o, q: q as number, t: t as number }
    if (typeof bin === 'string')
      return { message: new OutgoingMessage(event, Buffer.from(bin, 'base64')), origin }
    return { message: new OutgoingMessage(event, data), origin }
  } catch {
    return null
  }
}

/**
 * Room streams in Redis: seqs allocated once per room across instances, the history trimmed by
 * count and age, and each entry published to every instance by the same script that numbered it
 * (so every instance sees a room's entries in seq order). A room's keys expire `ttl` after it was
 * last used (renewed while an instance serves the room): then it restarts with a new epoch.
 */
export class RedisRoomLog implements RoomLog {
  readonly #shared: RedisDelivery
  readonly #options: SharedDeliveryOptions
  readonly ttl: number
  /** While Redis is unreachable: this instance's own streams (another epoch), delivered here only. */
  readonly #local: MemoryRoomLog

  constructor(shared: RedisDelivery, options: SharedDeliveryOptions) {
    this.#shared = shared
    this.#options = options
    this.ttl = Math.max(options.roomHistory.maxAge, options.resumeWindow) + ATTACHED_SLACK_MS
    this.#local = new MemoryRoomLog(options.roomHistory, options.now)
  }

  /**
   * Numbers the message in Redis, which publishes it to every instance (this one included). While
   * Redis is unreachable: in this instance's own stream, delivered here only.
   */
  async append(
    room: string,
    plaintext: (seq: number) => Uint8Array,
    content?: RoomContent,
  ): Promise<RoomEntry> {
    if (!content) throw new TypeError('a shared room log needs the message content')
    if (!this.#shared.ready) return this.#appendLocally(room, content)
    const { count, maxAge } = this.#options.roomHistory
    const at = this.#options.now()
    const sealed = this.#shared.vault.seal(encodeContent(content, this.#shared.nextOrigin()), this.#aad(room))
    let reply: Reply
    try {
      reply = await this.#shared.redis.esRoomAppend(
        this.#shared.key('roomseq', room),
        this.#shared.key('roomlog', room),
        crypto.randomUUID(),
        at,
        sealed,
        count,
        maxAge,
        at,
        this.ttl,
        this.#shared.roomsChannel,
        room,
      )
    } catch (error) {
      this.#options.logger.warn('room message numbered locally: redis unreachable', { error: String(error) })
      return this.#appendLocally(room, content)
    }
    const [epoch, seq] = reply as [string, number]
    return { epoch, seq, at, plaintext: plaintext(seq) }
  }

  async read(room: string, from?: RoomPosition): Promise<RoomRead> {
    if (!this.#shared.ready) return this.#local.read(room, from)
    try {
      return await this.#readShared(room, from)
    } catch {
      return this.#local.read(room, from)
    }
  }

  /** Forgets the local streams (used while Redis was unreachable) once their history is empty. */
  sweep(): void {
    this.#local.sweep(() => false)
  }

  async #appendLocally(room: string, content: RoomContent): Promise<RoomEntry> {
    const message = new OutgoingMessage(content.event, content.data)
    const entry = await this.#local.append(room, (seq) => message.v2PlaintextWith({ room, seq }))
    this.#options.onRoomEntry(room, entry, message)
    return entry
  }

  async #readShared(room: string, from?: RoomPosition): Promise<RoomRead> {
    const reply = (await this.#shared.redis.esRoomRead(
      this.#shared.key('roomseq', room),
      this.#shared.key('roomlog', room),
      crypto.randomUUID(),
      from ? from.epoch : '',
      from ? from.seq : 0,
      this.#options.roomHistory.maxAge,
      this.#options.now(),
      this.ttl,
    )) as [string, number, number, string[]?]
    const [epoch, seq, status, stored] = reply
    if (status !== 1) return { epoch, seq, missed: null }
    const missed: RoomEntry[] = []
    for (const text of stored ?? []) {
      const first = text.indexOf(':')
      const second = text.indexOf(':', first + 1)
      const read = this.decode(
        room,
        epoch,
        Number(text.slice(0, first)),
        Number(text.slice(first + 1, second)),
        text.slice(second + 1),
      )
      if (!read) {
        this.#options.logger.warn('a stored room message does not open (another secret?)', { room })
        return { epoch, seq, missed: null }
      }
      missed.push(read.entry)
    }
    return { epoch, seq, missed }
  }

  /** A stored or published entry: its plaintext, or null when it does not open. */
  decode(
    room: string,
    epoch: string,
    seq: number,
    at: number,
    sealed: string,
  ): { entry: RoomEntry; message: OutgoingMessage; origin: EntryOrigin } | null {
    const bytes = this.#shared.vault.open(sealed, this.#aad(room))
    const content = bytes && decodeContent(bytes)
    if (!content) return null
    const { message, origin } = content
    return { entry: { epoch, seq, at, plaintext: message.v2PlaintextWith({ room, seq }) }, message, origin }
  }

  #aad(room: string): string {
    return this.#shared.key('roomlog', room)
  }
}

// ---------------------------------------------------------------------------------------------
// Idempotency keys

/**
 * Idempotency keys in Redis, per user: claimed with SET NX of a pending marker, then replaced by
 * the answer (sealed); a second claim while one is pending waits for it (polling). A key lives
 * until `window` after the connection that processed it ended (at most a day while it is open,
 * or when its instance died).
 */
export class RedisKeyStore implements KeyStore {
  readonly #shared: RedisDelivery
  readonly #options: SharedDeliveryOptions
  readonly #held = new WeakMap<KeyHolder, Set<string>>()
  /** While Redis is unreachable: this instance's own keys. */
  readonly #local: MemoryKeyStore
  /** Keys claimed in `#local` (their answer is settled there). */
  readonly #claimedLocally = new Set<string>()

  constructor(shared: RedisDelivery, options: SharedDeliveryOptions) {
    this.#shared = shared
    this.#options = options
    this.#local = new MemoryKeyStore(options.idempotencyKeysPerUser, options.resumeWindow, options.now)
  }

  async claim(userId: string, key: string, holder: KeyHolder): Promise<KeyClaim> {
    if (this.#options.idempotencyKeysPerUser === 0) return { first: true }
    const name = this.#name(userId, key)
    let set: string | null
    try {
      if (!this.#shared.ready) throw new Error('redis unreachable')
      set = await this.#shared.redis.set(name, 'pending', 'PX', KEY_OPEN_TTL_MS, 'NX')
    } catch {
      // This instance's memory until Redis returns (a repeat on another instance meanwhile is processed again).
      const claim = await this.#local.claim(userId, key, holder)
      if (claim.first) this.#claimedLocally.add(name)
      return claim
    }
    if (set === 'OK') {
      let keys = this.#held.get(holder)
      if (!keys) this.#held.set(holder, (keys = new Set()))
      keys.add(name)
      return { first: true }
    }
    return { first: false, answer: this.#answer(name) }
  }

  settle(userId: string, key: string, answer: Answer): void {
    const name = this.#name(userId, key)
    if (this.#claimedLocally.delete(name)) return this.#local.settle(userId, key, answer)
    const json = JSON.stringify({
      ...(answer.dataJson === undefined ? {} : { data: answer.dataJson }),
      ...(answer.binary ? { bin: Buffer.from(answer.binary).toString('base64') } : {}),
      ...(answer.error ? { error: answer.error } : {}),
    })
    const sealed = this.#shared.vault.seal(Buffer.from(json, 'utf8'), name)
    void this.#shared.redis
      .set(name, `a:${sealed}`, 'PX', KEY_OPEN_TTL_MS, 'XX')
      .catch((error: Error) =>
        this.#options.logger.warn('idempotency key not stored', { error: error.message }),
      )
  }

  sweep(): void {
    this.#local.sweep()
  }

  ended(holder: KeyHolder): void {
    const keys = this.#held.get(holder)
    if (!keys) return
    this.#held.delete(holder)
    for (const name of keys)
      void this.#shared.redis.pexpire(name, this.#options.resumeWindow).catch(() => undefined)
  }

  /** The answer of a key processed (or being processed) elsewhere, once it is known. */
  async #answer(name: string): Promise<Answer> {
    const deadline = Date.now() + KEY_WAIT_MS
    for (;;) {
      if (Date.now() > deadline) return { error: { code: 'HANDLER_FAILED', message: 'The handler failed.' } }
      const value = await this.#shared.redis.get(name).catch(() => null)
      if (value === null) return {} // expired meanwhile
      if (value.startsWith('a:')) {
        const bytes = this.#shared.vault.open(value.slice(2), name)
        if (!bytes) return { error: { code: 'HANDLER_FAILED', message: 'The handler failed.' } }
        const stored = JSON.parse(bytes.toString('utf8')) as {
          data?: string
          bin?: string
          error?: Answer['error']
        }
        return {
          ...(stored.data === undefined ? {} : { dataJson: stored.data }),
          ...(stored.bin === undefined ? {} : { binary: new Uint8Array(Buffer.from(stored.bin, 'base64')) }),
          ...(stored.error ? { error: stored.error } : {}),
        }
      }
      await new Promise((resolve) => setTimeout(resolve, KEY_POLL_MS))
    }
  }

  #name(userId: string, key: string): string {
    return this.#shared.key('key', `${userId.length}`, userId, key)
  }
}
