/** Close codes the server uses. */
export const SERVER_CLOSE = {
  /** Server shutting down: clients reconnect (to another instance). */
  GOING_AWAY: 1001,
  /** v2, `drain()`: service restart; the client reconnects and resumes its session elsewhere. */
  SERVICE_RESTART: 1012,
  /** v1: the client's public key is not a P-256 point. */
  PROTOCOL_ERROR: 1002,
  /** The token was refused; v1: or the client sent something other than one `authenticate` first. */
  POLICY_VIOLATION: 1008,
  /** A frame over the size allowed at this point (`maxHandshakePayload`, `maxPayload`); v2: or nested deeper than `maxDepth`. */
  TOO_BIG: 1009,
  /** Too many connections for this user, or the client does not read what it is sent: retry later. */
  TRY_AGAIN_LATER: 1013,
  /** v2: a record, hello or message violation (a record that does not open, a seq gap, …). */
  VIOLATION: 4001,
  /** Re-key: v1's replay window is full, or v2's record counter reached 2^32. */
  REKEY: 4003,
  /** v2: no record from the client for 3 × `heartbeat`. */
  LIVENESS: 4007,
  /** v2: the session was resumed on another connection (the client does not retry). */
  SUPERSEDED: 4009,
  /** v2: the token expired (after an `error` record `TOKEN_EXPIRED`). */
  TOKEN_EXPIRED: 4401,
  /**
   * `disconnectUser`: the user's access was revoked (after an `error` record / frame
   * `TOKEN_REFUSED`). Clients do not retry 4401 with it (PROTOCOL-v2.md §7).
   */
  TOKEN_REFUSED: 4401,
  /** The browser's `Origin` is not in `origins`: the upgrade is accepted only to be closed at once. */
  ORIGIN_REFUSED: 4430,
  /** No valid `authenticate` (v1) or record #0 (v2) in time. */
  AUTH_TIMEOUT: 4408,
} as const
