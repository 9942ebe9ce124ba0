/**
 * Standard base64 (RFC 4648 §4, with padding), strict and canonical on decode.
 *
 * Uses the platform's `Uint8Array.prototype.toBase64` / `Uint8Array.fromBase64` where they exist
 * and a table-based codec elsewhere; neither builds a string one byte at a time, so a 1 MiB
 * message costs milliseconds, not a quarter second.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const PAD = 61 // '='
const INVALID = -1

const ENCODE_TABLE = /* @__PURE__ */ Uint8Array.from(ALPHABET, (char) => char.charCodeAt(0))
const DECODE_TABLE = /* @__PURE__ */ buildDecodeTable()

function buildDecodeTable(): Int16Array {
  const table = new Int16Array(256).fill(INVALID)
  for (let i = 0; i < ALPHABET.length; i++) table[ALPHABET.charCodeAt(i)] = i
  return table
}

type NativeToBase64 = (this: Uint8Array) => string
type NativeFromBase64 = (
  text: string,
  options: { lastChunkHandling: 'strict' },
) => Uint8Array<ArrayBuffer>

const nativeToBase64 = (Uint8Array.prototype as { toBase64?: NativeToBase64 }).toBase64
const nativeFromBase64 = (Uint8Array as { fromBase64?: NativeFromBase64 }).fromBase64
// The native decoder skips ASCII whitespace; the protocol does not allow any.
const WHITESPACE = /[\t\n\f\r ]/

let asciiDecoder: TextDecoder | undefined

/** Encodes bytes as padded standard base64. */
export function encodeBase64(bytes: Uint8Array): string {
  return nativeToBase64 ? nativeToBase64.call(bytes) : encodeBase64Portable(bytes)
}

/**
 * Decodes padded standard base64, or returns `undefined` when `text` is not its canonical form:
 * a length that is not a multiple of 4, whitespace, characters outside the alphabet, misplaced
 * padding, or non-zero bits after the last byte.
 */
export function decodeBase64(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!nativeFromBase64) return decodeBase64Portable(text)
  if (text.length % 4 !== 0 || WHITESPACE.test(text)) return undefined
  try {
    return nativeFromBase64(text, { lastChunkHandling: 'strict' })
  } catch {
    return undefined
  }
}

/** The table-based encoder used where the platform has no native one. Exported for tests. */
export function encodeBase64Portable(bytes: Uint8Array): string {
  const length = bytes.length
  const out = new Uint8Array(Math.ceil(length / 3) * 4)
  const whole = length - (length % 3)
  let o = 0
  for (let i = 0; i < whole; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!
    out[o++] = ENCODE_TABLE[n >>> 18]!
    out[o++] = ENCODE_TABLE[(n >>> 12) & 63]!
    out[o++] = ENCODE_TABLE[(n >>> 6) & 63]!
    out[o++] = ENCODE_TABLE[n & 63]!
  }
  const rest = length - whole
  if (rest > 0) {
    const n = (bytes[whole]! << 16) | (rest === 2 ? bytes[whole + 1]! << 8 : 0)
    out[o++] = ENCODE_TABLE[n >>> 18]!
    out[o++] = ENCODE_TABLE[(n >>> 12) & 63]!
    out[o++] = rest === 2 ? ENCODE_TABLE[(n >>> 6) & 63]! : PAD
    out[o++] = PAD
  }
  asciiDecoder ??= new TextDecoder()
  return asciiDecoder.decode(out)
}

/** The strict table-based decoder used where the platform has no native one. Exported for tests. */
export function decodeBase64Portable(text: string): Uint8Array<ArrayBuffer> | undefined {
  const length = text.length
  if (length % 4 !== 0) return undefined
  if (length === 0) return new Uint8Array(0)

  const padding = text.charCodeAt(length - 1) !== PAD ? 0 : text.charCodeAt(length - 2) === PAD ? 2 : 1
  const out = new Uint8Array((length / 4) * 3 - padding)
  const lastQuad = length - 4
  let o = 0
  for (let i = 0; i < lastQuad; i += 4) {
    const n = quad(text, i)
    if (n < 0) return undefined
    out[o++] = n >>> 16
    out[o++] = (n >>> 8) & 255
    out[o++] = n & 255
  }

  // The last quad may carry padding, and the bits that padding hides must be zero.
  const c0 = sextet(text, lastQuad)
  const c1 = sextet(text, lastQuad + 1)
  const c2 = padding === 2 ? 0 : sextet(text, lastQuad + 2)
  const c3 = padding >= 1 ? 0 : sextet(text, lastQuad + 3)
  const n = (c0 << 18) | (c1 << 12) | (c2 << 6) | c3
  if (n < 0) return undefined
  if (padding === 2 && (c1 & 15) !== 0) return undefined
  if (padding === 1 && (c2 & 3) !== 0) return undefined
  out[o++] = n >>> 16
  if (padding < 2) out[o++] = (n >>> 8) & 255
  if (padding < 1) out[o] = n & 255
  return out
}

/** Four characters as a 24-bit number, or a negative number when one is not in the alphabet. */
function quad(text: string, i: number): number {
  const a = text.charCodeAt(i)
  const b = text.charCodeAt(i + 1)
  const c = text.charCodeAt(i + 2)
  const d = text.charCodeAt(i + 3)
  if ((a | b | c | d) > 255) return INVALID
  return (
    (DECODE_TABLE[a]! << 18) | (DECODE_TABLE[b]! << 12) | (DECODE_TABLE[c]! << 6) | DECODE_TABLE[d]!
  )
}

function sextet(text: string, i: number): number {
  const code = text.charCodeAt(i)
  return code > 255 ? INVALID : DECODE_TABLE[code]!
}
