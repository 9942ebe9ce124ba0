// How the mock server answers the next handshakes: normal, or one of the faults a client must
// survive. Set through MockEncryptedServer's methods; read by the v1 and v2 handshakes.

/**
 * A v2 welcome fault (`server.sendBadWelcome(fault)`), and what a client does about it:
 * - `'bad-key'`: a `serverPublicKey` that is not on the curve (4001)
 * - `'bad-salt'`: a 31-byte salt (malformed: 4001)
 * - `'wrong-salt'`: a well-formed salt other than the one the server derives with: the keys differ, so the
 *   server cannot open record #0 and closes 4001 without `ready` (as with another `ecdhInfo`)
 * - `'without-keys'`: no `serverPublicKey` and no `salt` (4001)
 * - `'bad-version'`: `"v":3` (4001)
 * - `'fractional-valid-until'`: `validUntil` written with a fraction (4001)
 * - `'second-welcome'`: a second welcome, with another key, right after the first (4001)
 * - `'binary-first'`: a binary frame before the welcome (4001)
 * - `'none'`: no welcome at all (the client's `handshakeTimeout` fires)
 * - `'unsigned'`: no `identityKey`/`signature` (a pinned client: `ERR_SERVER_AUTH`, 4005)
 * - `'forged-signature'`: the configured identity advertised, but signed with another key (4005)
 * - `'other-identity'`: another identity, validly signed: one the client did not pin (4005)
 * - `'stale'`: signed, with `validUntil` 6 minutes in the past (4005, "check the device clock")
 * - `'future'`: signed, with `validUntil` 11 minutes ahead (4005)
 */
export type WelcomeFault =
  | 'bad-key'
  | 'bad-salt'
  | 'wrong-salt'
  | 'without-keys'
  | 'bad-version'
  | 'fractional-valid-until'
  | 'second-welcome'
  | 'binary-first'
  | 'none'
  | 'unsigned'
  | 'forged-signature'
  | 'other-identity'
  | 'stale'
  | 'future'

/** How the mock server answers handshakes; see `MockEncryptedServer`'s methods. */
export type HandshakeMode =
  | { type: 'normal' }
  | { type: 'hang' }
  | { type: 'reject'; code: number; message: string; errorCode?: string }
  | { type: 'without-keys' }
  | { type: 'invalid-server-key' }
  | { type: 'wrong-salt' }
  | { type: 'bad-welcome'; fault: WelcomeFault }

/** The welcome fault a mode means in v2 (the v1 key faults have a v2 twin). */
export function welcomeFaultOf(mode: HandshakeMode): WelcomeFault | null {
  switch (mode.type) {
    case 'bad-welcome':
      return mode.fault
    case 'invalid-server-key':
      return 'bad-key'
    case 'wrong-salt':
      return 'wrong-salt'
    case 'without-keys':
      return 'without-keys'
    default:
      return null
  }
}

/** The same point with its last byte changed: 65 bytes, 0x04 first, but not on the curve. */
export function offCurve(publicKey: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  const copy = publicKey.slice()
  copy[64]! ^= 0x01
  return copy
}
