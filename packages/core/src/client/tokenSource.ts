// Where tokens come from (`token`, `updateToken()`, `getToken()`), and the rule that no token
// reaches a log or an error: server-provided text may echo one back.
import { EncryptedSocketError } from '../errors'

export class TokenSource {
  #token: string | undefined
  readonly #getToken: (() => string | Promise<string>) | undefined

  constructor(token: string | undefined, getToken: (() => string | Promise<string>) | undefined) {
    this.#token = token
    this.#getToken = getToken
  }

  /** The token for the next connection attempt (the current connection keeps its own). */
  update(token: string): void {
    if (typeof token !== 'string') {
      throw new EncryptedSocketError(
        'ERR_INVALID_ARGUMENT',
        `updateToken() needs a string; got a ${typeof token}.`,
      )
    }
    this.#token = token
  }

  /** The token for an attempt; `ERR_TOKEN_UNAVAILABLE` when there is none. */
  async next(): Promise<string> {
    const token = this.#getToken ? await this.#getToken() : this.#token
    if (typeof token !== 'string' || token.length === 0) {
      throw new EncryptedSocketError(
        'ERR_TOKEN_UNAVAILABLE',
        'No token: pass `token` or `getToken`, or call updateToken().',
      )
    }
    return token
  }

  /** `text` with the known token, and `alsoKnown` (the one an attempt used), replaced. */
  scrub(text: string, alsoKnown?: string): string {
    let scrubbed = text
    for (const token of [this.#token, alsoKnown]) {
      if (token) scrubbed = scrubbed.split(token).join('[token]')
    }
    return scrubbed
  }
}
