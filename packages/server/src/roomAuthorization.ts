// Who may join which room: the `authorizeJoin` hook, asked before every join and resume.
import type { ServerConnection } from './connection'
import type { ServerLogger } from './logger'
import { roomRefusal } from './rooms'
import { logHookFailure } from './safeHooks'
import type { JoinRefusalKind } from './serverEventCounts'

/** What `authorizeJoin` knows of the connection asking. */
export interface JoinRequest {
  connectionId: string
  /** The authenticated user (the token's subject). */
  userId: string
  /** The rooms the connection is in now. */
  rooms: ReadonlySet<string>
  protocol: 1 | 2
  /** v2: asked again for a room the resumed session held. */
  resuming: boolean
}

/** A refusal the client is told: `code` is stable (e.g. `FORBIDDEN`, `NO_SUCH_ROOM`), `message` is for people. */
export interface JoinRefusal {
  code: string
  message: string
}

/** `true` lets the connection in; `false` refuses with `FORBIDDEN`; a `{ code, message }` refuses with that. */
export type JoinDecision = boolean | JoinRefusal

export type AuthorizeJoin = (request: JoinRequest, room: string) => JoinDecision | Promise<JoinDecision>

const CODE = /^[A-Z][A-Z0-9_]{0,63}$/
const MAX_MESSAGE = 256

/**
 * Why the connection may not join `room`, or null when it may: the room name and the per-connection
 * limit first, then the application's `authorizeJoin`. A hook that throws, or answers something
 * else than a decision, refuses (`JOIN_FAILED`): a failure never opens a room.
 */
export async function refuseJoin(
  authorize: AuthorizeJoin | undefined,
  request: JoinRequest,
  room: string,
  logger: ServerLogger,
): Promise<(JoinRefusal & { kind: JoinRefusalKind }) | null> {
  const limit = roomRefusal(request.rooms, room)
  if (limit) return { ...limit, kind: 'limit' }
  if (!authorize) return null
  let decision: unknown
  try {
    decision = await authorize(request, room)
  } catch (error) {
    logHookFailure(logger, 'authorizeJoin', error)
    return JOIN_FAILED
  }
  if (decision === true) return null
  if (decision === false)
    return { code: 'FORBIDDEN', message: 'You may not join this room.', kind: 'forbidden' }
  if (isRefusal(decision))
    return { code: decision.code, message: decision.message.slice(0, MAX_MESSAGE), kind: 'forbidden' }
  logger.error('authorizeJoin answered neither a boolean nor { code, message }: the join is refused', {
    answer: typeof decision,
  })
  return JOIN_FAILED
}

const JOIN_FAILED = {
  code: 'JOIN_FAILED',
  message: 'The server could not check this room; join it again later.',
  kind: 'failed',
} as const

function isRefusal(decision: unknown): decision is JoinRefusal {
  if (typeof decision !== 'object' || decision === null) return false
  const { code, message } = decision as Record<string, unknown>
  return typeof code === 'string' && CODE.test(code) && typeof message === 'string'
}

/** `refuseJoin` for one connection, with the server's `authorizeJoin`; refusals are counted (metrics). */
export async function refuseJoinOf(
  connection: Pick<ServerConnection, 'id' | 'userId' | 'rooms' | 'protocol' | 'options' | 'host'>,
  room: string,
  resuming = false,
): Promise<JoinRefusal | null> {
  const { authorizeJoin, logger } = connection.options
  const request: JoinRequest = {
    connectionId: connection.id,
    userId: connection.userId ?? '',
    rooms: connection.rooms,
    protocol: connection.protocol,
    resuming,
  }
  const refusal = await refuseJoin(authorizeJoin, request, room, logger)
  if (!refusal) return null
  connection.host.events.joinsRefused[refusal.kind]++
  return { code: refusal.code, message: refusal.message }
}
