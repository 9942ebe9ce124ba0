import type { ResumeRequest } from '@encrypted-socket/core'
import { v2Peer, type Received, type V2Peer } from './v2Peer'

/**
 * A raw v2 client that keeps its session across lost connections, as §6 asks of a client: it
 * resumes with the last session-stream seq it delivered and its room positions, re-sends what
 * the server did not acknowledge with the same seqs, acknowledges what it delivers, and records
 * each stream's messages in order. Anything a correct server never causes (a hole, a duplicate, a
 * refused resume, a room not recovered) goes into `problems`. `connect()` again after each loss
 * (to `url()` each time when `url` is a function: another instance, say).
 */
export function sessionClient(url: string | (() => string), jwt: string) {
  let peer: V2Peer | null = null
  let session: string | null = null
  /** The last session-stream seq delivered. */
  let delivered = 0
  const rooms = new Map<string, { epoch: string; seq: number }>()
  let nextSeq = 1
  /** Client messages sent (or waiting to be) and not yet acknowledged, in seq order. */
  const unacked: { seq: number; message: Record<string, unknown> }[] = []
  /** Records go out strictly one after another (each one's counter is its place in the stream). */
  let chain: Promise<unknown> = Promise.resolve()
  let ready = false
  let ackDue = false
  /** The reading loop of the current connection; it ends when the connection closed and everything it received was handled. */
  let reading: Promise<void> = Promise.resolve()
  const joinWaiters = new Map<string, () => void>()
  const state = {
    /** Session-stream `msg` data, in delivery order. */
    received: [] as unknown[],
    /** Each room stream's `msg` data, in delivery order. */
    roomReceived: new Map<string, unknown[]>(),
    readies: [] as Received[],
    problems: [] as string[],
  }

  const enqueue = (p: V2Peer, message: Record<string, unknown>) => {
    chain = chain
      .then(() => (p.socket.readyState === p.socket.OPEN ? p.record(message) : undefined))
      .catch(() => undefined)
    return chain
  }

  function handle(p: V2Peer, message: Received): void {
    switch (message.t) {
      case 'ack':
        while (unacked.length > 0 && unacked[0]!.seq <= (message.seq as number)) unacked.shift()
        return
      case 'joined': {
        rooms.set(message['room'] as string, {
          epoch: message['epoch'] as string,
          seq: message.seq as number,
        })
        joinWaiters.get(message['room'] as string)?.()
        return
      }
      case 'msg': {
        if (message['room'] !== undefined) {
          const room = message['room'] as string
          const position = rooms.get(room)!
          if (message.seq !== position.seq + 1)
            state.problems.push(`room ${room}: seq ${message.seq} after ${position.seq}`)
          position.seq = message.seq as number
          const list = state.roomReceived.get(room) ?? []
          state.roomReceived.set(room, list)
          list.push(message.data)
          return
        }
        if (message.seq === undefined) return // a broadcast: not on a stream
        if (message.seq !== delivered + 1)
          state.problems.push(`session: seq ${message.seq} after ${delivered}`)
        delivered = message.seq as number
        state.received.push(message.data)
        if (ackDue) return
        ackDue = true
        queueMicrotask(() => {
          ackDue = false
          void enqueue(p, { t: 'ack', seq: delivered })
        })
        return
      }
      default:
        return
    }
  }

  const client = {
    ...state,
    get ready() {
      return ready
    },
    get session() {
      return session
    },
    get unacknowledged() {
      return unacked.length
    },

    /** Connects (resuming once it has a session); resolves with `ready`, or null when the connection was lost first. */
    async connect(): Promise<Received | null> {
      ready = false
      await reading // what the lost connection received before it closed is delivered first
      const p = v2Peer(typeof url === 'string' ? url : url()) // a function: where each connection goes
      peer = p
      const resume: ResumeRequest | undefined = session
        ? { session, seq: delivered, rooms: Object.fromEntries(rooms) }
        : undefined
      let first: Received | null
      try {
        first = await p.handshake(jwt, resume)
      } catch {
        return null
      }
      if (!first || first.t !== 'ready') return null
      state.readies.push(first)
      if (session && !first.resumed) state.problems.push(`resume refused (${session})`)
      session = first.session
      // A recovered room's missed messages follow: the client's position stays where it was.
      for (const [room, position] of Object.entries(first.rooms)) {
        if (position.recovered) continue
        state.problems.push(`room ${room} not recovered`)
        rooms.set(room, { epoch: position.epoch, seq: position.seq })
      }
      // Up to ready.seq is acknowledged; the rest goes again, with the same seqs, before anything new.
      while (unacked.length > 0 && unacked[0]!.seq <= first.seq) unacked.shift()
      chain = Promise.resolve()
      for (const { message } of unacked) void enqueue(p, message)
      ready = true
      reading = (async () => {
        for (;;) {
          let message: Received | null
          try {
            message = await p.next()
          } catch (error) {
            state.problems.push(`unreadable record: ${String(error)}`)
            return
          }
          if (message === null) return
          handle(p, message)
        }
      })()
      return first
    },

    /** Sends an application event with the next seq (now, or on the next resume). */
    send(event: string, data: unknown, extra: Record<string, unknown> = {}): Promise<unknown> {
      const message = { t: 'msg', seq: nextSeq++, event, data, ...extra }
      unacked.push({ seq: message.seq, message })
      return ready && peer ? enqueue(peer, message) : Promise.resolve()
    },

    /** Joins a room and resolves once `joined` arrived. */
    join(room: string): Promise<void> {
      const joined = new Promise<void>((resolve) => joinWaiters.set(room, resolve))
      void enqueue(peer!, { t: 'join', room })
      return joined
    },

    get peer() {
      return peer!
    },
  }
  return client
}

export type SessionClient = ReturnType<typeof sessionClient>
