// A protocol v1 session: one AES-256-GCM key for both directions, random IVs, and a set of the IVs
// seen under it (received and sent) against replays and reflections.
import { EncryptedSocketError } from '../errors'
import type { ApplicationMessage, Frame } from '../protocol/codec'
import { openMessage, sealPlaintext } from '../protocol/message'
import { ReplayGuard } from './replayGuard'

export type EncryptedFrame = Extract<Frame, { type: 'encrypted' }>

/** What opening a frame gave: a message, or a frame to drop (and whether the key is now given up). */
export type Opened =
  | { type: 'message'; message: ApplicationMessage }
  | { type: 'dropped'; error: EncryptedSocketError; keyRejected: boolean }

/** Encrypted frames that may fail in a row, before one succeeded, until the key is given up. */
const KEY_CONFIRMATION_LIMIT = 3

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown }

export class V1Session {
  readonly #key: CryptoKey
  readonly #replay: ReplayGuard
  /** True once one frame decrypted under this key. */
  #confirmed = false
  #failures = 0

  constructor(key: CryptoKey, maxTrackedIvs: number) {
    this.#key = key
    this.#replay = new ReplayGuard(maxTrackedIvs)
  }

  /** True once one frame decrypted under this key. */
  get confirmed(): boolean {
    return this.#confirmed
  }

  get full(): boolean {
    return this.#replay.full
  }

  /** Encrypts serialised messages into frames for the wire, in order. */
  async seal(plaintexts: readonly Uint8Array<ArrayBuffer>[]): Promise<string[]> {
    const sealed = await Promise.all(plaintexts.map((plaintext) => sealPlaintext(this.#key, plaintext)))
    for (const { iv } of sealed) this.#replay.remember(iv) // an echo of our own frame is a reflection
    return sealed.map(({ frame }) => frame)
  }

  open({ iv, ct }: EncryptedFrame): { finish(): Promise<Opened> } {
    const decrypting: Promise<Settled<ApplicationMessage>> = openMessage(this.#key, iv, ct).then(
      (value) => ({ ok: true, value }),
      (error: unknown) => ({ ok: false, error }),
    )
    return { finish: () => this.#finish(iv, decrypting) }
  }

  async #finish(iv: Uint8Array, decrypting: Promise<Settled<ApplicationMessage>>): Promise<Opened> {
    if (this.#replay.seen(iv)) {
      return dropped(new EncryptedSocketError('ERR_REPLAY', 'Dropped a replayed or reflected frame.'))
    }
    const result = await decrypting
    if (!result.ok) {
      const error =
        result.error instanceof EncryptedSocketError
          ? result.error
          : new EncryptedSocketError('ERR_DECRYPT', 'Unexpected failure.', { cause: result.error })
      // Received IVs are remembered only once their frame decrypted, so garbage sent ahead of a
      // real frame cannot get the real one dropped. Failures before any success mean a wrong key.
      const keyRejected =
        error.code === 'ERR_DECRYPT' && !this.#confirmed && ++this.#failures >= KEY_CONFIRMATION_LIMIT
      return dropped(error, keyRejected)
    }
    this.#confirmed = true
    this.#replay.remember(iv)
    return { type: 'message', message: result.value }
  }
}

function dropped(error: EncryptedSocketError, keyRejected = false): Opened {
  return { type: 'dropped', error, keyRejected }
}
