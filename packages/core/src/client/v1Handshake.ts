// The protocol v1 handshake: a fresh ECDH P-256 key pair, `authenticate` with the token and the
// public key, then `connected` with the server's key and salt → HKDF → a V1Session.
import { EncryptedSocketError, serverAuthError } from '../errors'
import type { ResolvedOptions } from '../options'
import { encodeAuthenticate, type ConnectedFrame } from '../protocol/codec'
import { deriveSessionKey, type EphemeralKeys } from '../protocol/handshake'
import { CLIENT_CLOSE } from './reconnect'
import { V1Session } from './v1Session'

/** The `connected` frame's outcome: a session (null for a keyless server the options allow), or why the attempt fails. */
export type HandshakeResult =
  | { ok: true; session: V1Session | null }
  | { ok: false; closeCode: number; error: EncryptedSocketError }

type HandshakeOptions = Pick<
  ResolvedOptions,
  'ecdhInfo' | 'requireEncryption' | 'serverIdentity' | 'maxTrackedIvs'
>

export class V1Handshake {
  readonly #options: HandshakeOptions
  /** Made as soon as the attempt starts, while the socket opens; used for this connection only. */
  readonly #keys: Promise<EphemeralKeys>

  constructor(options: HandshakeOptions, keys: Promise<EphemeralKeys>) {
    this.#options = options
    this.#keys = keys
  }

  /** The `authenticate` frame, carrying `token` and the public key. */
  async hello(token: string): Promise<string> {
    return encodeAuthenticate(token, (await this.#keys).publicKey)
  }

  async finish(frame: ConnectedFrame): Promise<HandshakeResult> {
    const { serverIdentity, requireEncryption, ecdhInfo, maxTrackedIvs } = this.#options
    const { serverPublicKey, salt } = frame
    if (!serverPublicKey || !salt) {
      if (serverIdentity) {
        // An unsigned, keyless handshake cannot prove the pinned identity, whatever requireEncryption says.
        return failed(CLIENT_CLOSE.SERVER_AUTH, serverAuthError('the connected frame is not signed'))
      }
      if (requireEncryption || serverPublicKey || salt) {
        return failed(
          CLIENT_CLOSE.PROTOCOL_VIOLATION,
          new EncryptedSocketError('ERR_PROTOCOL', 'The server sent no keys: refused (requireEncryption).'),
        )
      }
      return { ok: true, session: null }
    }
    try {
      const keys = await this.#keys
      await serverIdentity?.({
        protocol: 'v1',
        identityKey: frame.identityKey,
        signature: frame.signature,
        clientPublicKey: keys.publicKey,
        serverPublicKey,
        salt,
      })
      const key = await deriveSessionKey(keys.privateKey, serverPublicKey, salt, ecdhInfo)
      return { ok: true, session: new V1Session(key, maxTrackedIvs) }
    } catch (cause) {
      const error =
        cause instanceof EncryptedSocketError
          ? cause
          : new EncryptedSocketError('ERR_PROTOCOL', 'Key derivation failed.', { cause })
      const code =
        error.code === 'ERR_SERVER_AUTH' ? CLIENT_CLOSE.SERVER_AUTH : CLIENT_CLOSE.PROTOCOL_VIOLATION
      return failed(code, error)
    }
  }
}

function failed(closeCode: number, error: EncryptedSocketError): HandshakeResult {
  return { ok: false, closeCode, error }
}
