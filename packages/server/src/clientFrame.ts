import { decodeBase64, IV_LENGTH, parseFrame, TAG_LENGTH, type IncomingFrame } from '@encrypted-socket/core'
import { jsonDepthExceeds } from './jsonDepth'

/** Limits on what a client's text frame may be, once its size has passed `maxPayload`. */
export interface ClientFrameLimits {
  /** Largest frame that is not an `encrypted` one (control frames are small). */
  maxControlFrame: number
}

/** `{"event":"join","data":{"rooms":[…]}}` nests three levels; nothing a client sends needs more. */
const MAX_CONTROL_DEPTH = 4

/**
 * Reads one frame from a client. An `encrypted` frame, the only large one, is read by a
 * fixed-shape scanner that never builds a generic JSON value; any other frame must be small and
 * shallow before `JSON.parse` sees it. Never throws.
 */
export function parseClientFrame(text: string, { maxControlFrame }: ClientFrameLimits): IncomingFrame {
  const encrypted = scanEncrypted(text)
  if (encrypted) return encrypted
  if (text.length > maxControlFrame) {
    return { type: 'malformed', reason: `a frame other than "encrypted" over ${maxControlFrame} bytes` }
  }
  if (jsonDepthExceeds(text, MAX_CONTROL_DEPTH)) {
    return { type: 'malformed', reason: `nested deeper than ${MAX_CONTROL_DEPTH} levels` }
  }
  return parseFrame(text)
}

// JSON whitespace, a string without escapes, and the punctuation between them.
const WHITESPACE = /[ \t\n\r]*/y

/**
 * `{"event":"encrypted","data":{"iv":"…","ct":"…"}}`, in either key order and with any JSON
 * whitespace, or null when the text has any other shape (it then goes to the generic parser,
 * under its size limit). Base64 never needs escapes, so a string with one is not this shape.
 */
function scanEncrypted(text: string): IncomingFrame | null {
  const scanner = new Scanner(text)
  const outer = scanner.object((key) =>
    key === 'data' ? scanner.object(() => scanner.string()) : scanner.string(),
  )
  if (!outer || !scanner.atEnd() || outer.event !== 'encrypted') return null
  const data = outer.data
  if (typeof data !== 'object' || Object.keys(outer).length !== 2) return null
  if (typeof data.iv !== 'string' || typeof data.ct !== 'string' || Object.keys(data).length !== 2)
    return null
  const iv = decodeBase64(data.iv)
  const ct = decodeBase64(data.ct)
  if (iv?.length !== IV_LENGTH || !ct || ct.length < TAG_LENGTH) {
    return {
      type: 'malformed',
      event: 'encrypted',
      reason: `"data" must hold a ${IV_LENGTH}-byte "iv" and a "ct" of at least ${TAG_LENGTH} bytes, in canonical base64`,
    }
  }
  return { type: 'encrypted', iv, ct }
}

type Flat = Record<string, string>

/** A cursor over the text that reads only objects of plain strings, one level of nesting. */
class Scanner {
  #at = 0
  /** The first backslash at or after `#at` once looked for (-1: none left, -2: not looked yet). */
  #backslash = -2
  constructor(readonly text: string) {}

  object<V extends string | Flat>(value: (key: string) => V | null): Record<string, V> | null {
    if (!this.#punctuation('{')) return null
    const result: Record<string, V> = Object.create(null) as Record<string, V>
    do {
      const key = this.string()
      if (key === null || key in result || !this.#punctuation(':')) return null
      const read = value(key)
      if (read === null) return null
      result[key] = read
    } while (this.#punctuation(','))
    return this.#punctuation('}') ? result : null
  }

  /** A string without escapes. Found with `indexOf` (native): each character is looked at once. */
  string(): string | null {
    this.#skipWhitespace()
    const start = this.#at
    if (this.text[start] !== '"') return null
    const end = this.text.indexOf('"', start + 1)
    if (end === -1) return null
    if (this.#backslash !== -1 && this.#backslash < start) this.#backslash = this.text.indexOf('\\', start)
    if (this.#backslash !== -1 && this.#backslash < end) return null
    this.#at = end + 1
    return this.text.slice(start + 1, end)
  }

  atEnd(): boolean {
    this.#skipWhitespace()
    return this.#at === this.text.length
  }

  #punctuation(char: string): boolean {
    this.#skipWhitespace()
    if (this.text[this.#at] !== char) return false
    this.#at++
    return true
  }

  #skipWhitespace(): void {
    WHITESPACE.lastIndex = this.#at
    WHITESPACE.exec(this.text)
    this.#at = WHITESPACE.lastIndex
  }
}
