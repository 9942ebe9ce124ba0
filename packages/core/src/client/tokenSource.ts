// Where tokens come from (`token`, `updateToken()`, `getToken()`), and the rule that no token
// reaches a log or an error: server-provided text may echo one back.
import { EncryptedSocketError } from '../errors'

export class TokenSource {
  #token: string | undefined
  /** The last token fetched for an in-band refresh (v2), to scrub it too. */
  #refreshed: string | undefined
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
        __DEV__ ? `updateToken() needs a string; got a ${typeof token}.` : 'updateToken() needs a string.',
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
        __DEV__ ? 'No token: pass `token` or `getToken`, or call updateToken().' : 'No token.',
      )
    }
    return token
  }

  /** A fresh token for an in-band refresh (v2): only `getToken` gives one; undefined without it. */
  async refresh(): Promise<string | undefined> {
    if (!this.#getToken) return undefined
    const token = await this.#getToken()
    if (typeof token !== 'string' || token.length === 0) return undefined
    this.#refreshed = token
    return token
  }

  /** `text` with the known tokens, and `alsoKnown` (the one an attempt used), replaced. */
  scrub(text: string, alsoKnown?: string): string {
    let scrubbed = text
    for (const token of [this.#token, this.#refreshed, alsoKnown]) {
      if (token) scrubbed = scrubbed.split(token).join('[token]')
    }
    return scrubbed
  }
}
