import type { Refusal } from './admission'
import type { verifyClientToken } from './auth'

/** Why an upgrade was refused: the server closing, a foreign Origin, a v1 client under `requireV2`, or admission. */
export const UPGRADE_REFUSALS = [
  'closing',
  'origin',
  'protocol-v1',
  'max-connections',
  'address-connections',
  'address-handshake-rate',
] as const
export type UpgradeRefusal = (typeof UPGRADE_REFUSALS)[number]

/** Why a token was refused (`verifyClientToken`); `unavailable` for a verifier that could not answer, where it says so. */
export const TOKEN_REFUSALS = ['expired', 'invalid', 'unavailable'] as const
export type TokenRefusal = (typeof TOKEN_REFUSALS)[number]

/** Why a join was refused: `authorizeJoin` said no, it failed (threw or answered nonsense), or a room name or count limit. */
export const JOIN_REFUSALS = ['forbidden', 'failed', 'limit'] as const
export type JoinRefusalKind = (typeof JOIN_REFUSALS)[number]

/** What became of a v2 in-band token refresh. */
export const TOKEN_REFRESH_RESULTS = ['accepted', 'refused', 'unavailable'] as const
export type TokenRefreshResult = (typeof TOKEN_REFRESH_RESULTS)[number]

// Every reason that admission or `verifyClientToken` can report has its counter: a new reason
// there fails to compile here until it is listed above.
type Covers<Listed, Reported extends Listed> = Reported
type TokenReported = Extract<Awaited<ReturnType<typeof verifyClientToken>>, { refused: unknown }>['refused']
type CoveredRefusals = [Covers<UpgradeRefusal, Refusal['reason']>, Covers<TokenRefusal, TokenReported>]

/**
 * Events the server counts for its metrics and nowhere else (drops and the v2 delivery counters
 * have their own objects). Plain numbers, read when metrics are scraped.
 */
export interface ServerEventCounts {
  /** Handshakes completed (the connection authenticated), by protocol version. */
  handshakes: Record<1 | 2, number>
  /** Upgrades refused, by reason. */
  upgradesRefused: Record<UpgradeRefusal, number>
  /** Tokens refused at the handshake, by reason. */
  tokensRefused: Record<TokenRefusal, number>
  /** Times a connection's reading was paused because its incoming queue reached `incomingQueue`. */
  readsPaused: number
  /** Clients closed (1013) for staying above `sendHighWaterMark` longer than `slowConsumerTimeout`. */
  slowClientsClosed: number
  /** Joins refused (v1 and v2), by kind. */
  joinsRefused: Record<JoinRefusalKind, number>
  /** v2 in-band token refreshes, by result. */
  tokenRefreshes: Record<TokenRefreshResult, number>
  /** v2 connections ended because their token expired without a refresh. */
  sessionsExpired: number
}

export const emptyServerEventCounts = (): ServerEventCounts => ({
  handshakes: { 1: 0, 2: 0 },
  upgradesRefused: Object.fromEntries(UPGRADE_REFUSALS.map((reason) => [reason, 0])) as Record<
    UpgradeRefusal,
    number
  >,
  tokensRefused: { expired: 0, invalid: 0, unavailable: 0 },
  readsPaused: 0,
  slowClientsClosed: 0,
  joinsRefused: { forbidden: 0, failed: 0, limit: 0 },
  tokenRefreshes: { accepted: 0, refused: 0, unavailable: 0 },
  sessionsExpired: 0,
})
