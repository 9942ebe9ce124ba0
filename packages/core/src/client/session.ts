// What a protocol gives a connection: a handshake that turns the server's answer into a session,
// and a session that seals and opens messages under the established key. Protocol v1 implements
// both in v1Handshake.ts and v1Session.ts; another protocol adds its own pair.
import type { EncryptedSocketError } from '../errors'
import type { ApplicationMessage, ConnectedFrame, Frame } from '../protocol/codec'

export type EncryptedFrame = Extract<Frame, { type: 'encrypted' }>

/** The key of one connection, with its replay protection and key confirmation. */
export interface Session {
  /** Encrypts serialised messages into frames for the wire, in order. */
  seal(plaintexts: readonly Uint8Array<ArrayBuffer>[]): Promise<string[]>
  /** Starts opening a frame at once (a burst decrypts in parallel); `finish` in arrival order. */
  open(frame: EncryptedFrame): { finish(): Promise<Opened> }
  /** The replay window is full: the connection must be replaced by one with a new key. */
  readonly full: boolean
}

/** What opening a frame gave: a message, or a frame to drop (and whether the key is now given up). */
export type Opened =
  | { type: 'message'; message: ApplicationMessage }
  | { type: 'dropped'; error: EncryptedSocketError; keyRejected: boolean }

/** The client's side of one handshake. */
export interface Handshake {
  /** The first frame the client sends, carrying `token`. */
  hello(token: string): Promise<string>
  /**
   * The server's `connected` frame: a session, `null` for a server without encryption that the
   * options allow, or why the attempt fails and the close code to end it with.
   */
  finish(frame: ConnectedFrame): Promise<HandshakeResult>
}

export type HandshakeResult =
  { ok: true; session: Session | null } | { ok: false; closeCode: number; error: EncryptedSocketError }
