// The mock server's options, their defaults in one place, and resolveOptions(): nothing else
// reads the raw options.
import type { ApplicationMessage } from '@encrypted-socket/core'
import type { MockConnection } from './mockConnection'

/** Which wire protocol the mock speaks; see `MockServerOptions.protocol`. */
export type MockProtocol = 'v1' | 'v2' | 'v2-only'

/**
 * What `verifyToken` says about a token: the user id; `false` (refused: `AUTH_FAILED`, close
 * 1008); or `{ expired: true }` (`TOKEN_EXPIRED`, close 4401, which the client retries once).
 */
export type TokenVerdict = string | false | { expired: true }

/** A long-term signing identity (what `generateServerIdentity()` from core makes). */
export interface ServerIdentity {
  /** ECDSA P-256 private key, with the `sign` usage. */
  privateKey: CryptoKey
  /** The raw 65-byte public key that clients pin. */
  publicKey: Uint8Array<ArrayBuffer>
}

/**
 * An application message the mock server received. In v2 it also says whether `data` is an
 * attachment (`binary`, then `data` is a Uint8Array) and carries the message's `seq`, and its
 * `id`, `key` and `room` when the client set them.
 */
export interface MockMessage extends ApplicationMessage {
  binary?: boolean
  seq?: number
  id?: number
  key?: string
  room?: string
}

export interface MockServerOptions {
  /** The HKDF info string, the same as the client's `ecdhInfo`. */
  ecdhInfo: string
  /**
   * The wire protocol. `'v2'` selects the `encrypted-socket.v2` subprotocol when the client
   * offers it and speaks v1 to a client that does not (like a server that speaks both);
   * `'v2-only'` refuses the upgrade of a client that does not offer v2 (mock-socket's failed
   * upgrade: `error`, then close 1000; a real server answers HTTP 426); `'v1'` selects the first
   * offer, as `ws` does by default, which a client reads as v1.
   * @default 'v2'
   */
  protocol?: MockProtocol
  /**
   * Verifies a token (at the handshake, and a v2 in-band `token` refresh).
   * @default every token is accepted, and the user id is "user"
   */
  verifyToken?: (token: string) => TokenVerdict | Promise<TokenVerdict>
  /**
   * Called with every decrypted application event, e.g. to answer it with `connection.send()`.
   * In v2, for a request (a `msg` with `id`) what it returns becomes the `res` (a Uint8Array as an
   * attachment), and what it throws the `res` error (its `code` if it has a string one, else
   * `HANDLER_ERROR`).
   */
  onEvent?: (connection: MockConnection, message: MockMessage) => unknown
  /**
   * Encrypted events written right after `connected` (v1) or `ready` (v2), back to back with it
   * (a server that pushes state on connect).
   */
  welcome?: (connection: MockConnection) => ApplicationMessage[]
  /**
   * Signs every handshake with this identity: the v2 welcome, and v1's `connected`.
   * @default none (unsigned handshakes)
   */
  identity?: ServerIdentity
  /** The ping interval announced in v2's `ready`, in ms. @default 30_000 */
  heartbeat?: number
  /**
   * v2: how long the server waits before acknowledging, in ms, coalescing every message it
   * processes meanwhile into one `ack`. 0 acknowledges as soon as the messages that arrived back
   * to back are processed (no timer, so fake timers need no advancing).
   * @default 0
   */
  ackDelay?: number
}

export interface ResolvedOptions extends Required<
  Omit<MockServerOptions, 'onEvent' | 'welcome' | 'identity'>
> {
  onEvent: MockServerOptions['onEvent']
  welcome: MockServerOptions['welcome']
  identity: ServerIdentity | undefined
}

export const DEFAULTS = {
  // v2, as @encrypted-socket/server speaks to clients that offer it; 'v1' for v1 behaviour.
  protocol: 'v2',
  verifyToken: () => 'user',
  heartbeat: 30_000,
  ackDelay: 0,
} satisfies Partial<MockServerOptions>

export function resolveOptions(options: MockServerOptions): ResolvedOptions {
  return {
    ecdhInfo: options.ecdhInfo,
    protocol: options.protocol ?? DEFAULTS.protocol,
    verifyToken: options.verifyToken ?? DEFAULTS.verifyToken,
    heartbeat: options.heartbeat ?? DEFAULTS.heartbeat,
    ackDelay: options.ackDelay ?? DEFAULTS.ackDelay,
    onEvent: options.onEvent,
    welcome: options.welcome,
    identity: options.identity,
  }
}
