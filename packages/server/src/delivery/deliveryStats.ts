/** What `server.stats()` counts since the server started (v2 sessions, resumes, requests, rooms). */
export interface DeliveryCounters {
  /** Sessions resumed (`ready.resumed: true`). */
  resumes: number
  /** Resumes refused (unknown or expired session, another user, a seq beyond what was sent, messages dropped): a new session instead. */
  resumesRefused: number
  /** Connections closed with 4009 because their session was resumed on another one. */
  superseded: number
  /** Messages sent again: missed session-stream messages on a resume, missed room messages on a resume or a `join` with `since`. */
  replayed: number
  /** Unacknowledged session-stream messages dropped with their session when its resume window ended (or it was evicted). */
  droppedAtWindowEnd: number
  /** Session-stream messages dropped unacknowledged because the session held `resumeMaxMessages` already. */
  droppedOverflow: number
  /** Waiting sessions dropped before their window ended because their user had more waiting than `maxConnectionsPerUser`. */
  sessionsEvicted: number
  /** Client messages not processed again: a repeated seq, or an idempotency key already processed. */
  duplicatesRefused: number
  /** Requests answered (`res` sent), including repeats answered from an earlier answer. */
  requests: number
  /** Of those, answered with an `error`. */
  requestsFailed: number
  /** Rooms whose missed messages followed (`recovered: true`), on a resume or a `join` with `since`. */
  roomsRecovered: number
  /** Rooms answered `recovered: false`. */
  roomsNotRecovered: number
}

/** `server.stats()`: the counters, and what is held now. */
export interface DeliveryStats extends DeliveryCounters {
  /** Sessions held: attached to a connection or waiting for a resume. */
  sessions: number
  /** Of those, waiting for a resume (no connection). */
  sessionsWaiting: number
  /** Unacknowledged session-stream messages held over all sessions. */
  unacknowledged: number
  /** Idempotency keys remembered over all users. */
  idempotencyKeys: number
  /** Rooms with a stream, and room messages held in their histories. */
  roomStreams: number
  roomHistoryEntries: number
}

export const emptyDeliveryCounters = (): DeliveryCounters => ({
  resumes: 0,
  resumesRefused: 0,
  superseded: 0,
  replayed: 0,
  droppedAtWindowEnd: 0,
  droppedOverflow: 0,
  sessionsEvicted: 0,
  duplicatesRefused: 0,
  requests: 0,
  requestsFailed: 0,
  roomsRecovered: 0,
  roomsNotRecovered: 0,
})
