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

const DECODE_TABLE = /* @__PURE__ */ buildDecodeTable()
// Two output characters per entry, laid out in memory order, so one 32-bit store writes four.
const PAIR_TABLE = /* @__PURE__ */ buildPairTable()

function buildDecodeTable(): Int16Array {
  const table = new Int16Array(256).fill(INVALID)
  for (let i = 0; i < ALPHABET.length; i++) table[ALPHABET.charCodeAt(i)] = i
  return table
}

function buildPairTable(): Uint16Array {
  const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1
  const table = new Uint16Array(4096)
  for (let i = 0; i < 4096; i++) {
    const first = ALPHABET.charCodeAt(i >> 6)
    const second = ALPHABET.charCodeAt(i & 63)
    table[i] = littleEndian ? first | (second << 8) : (first << 8) | second
  }
  return table
}

type NativeToBase64 = (this: Uint8Array) => string
type NativeFromBase64 = (text: string, options: { lastChunkHandling: 'strict' }) => Uint8Array<ArrayBuffer>

const nativeToBase64 = (Uint8Array.prototype as { toBase64?: NativeToBase64 }).toBase64
const nativeFromBase64 = (Uint8Array as { fromBase64?: NativeFromBase64 }).fromBase64
// The native decoder skips ASCII whitespace; the protocol does not allow any.
const WHITESPACE = /[\t\n\f\r ]/

let asciiDecoder: TextDecoder | undefined
let asciiEncoder: TextEncoder | undefined

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
  const out = new Uint32Array(Math.ceil(length / 3))
  const whole = length - (length % 3)
  let o = 0
  for (let i = 0; i < whole; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!
    out[o++] = PAIR_TABLE[n >>> 12]! | (PAIR_TABLE[n & 4095]! << 16)
  }
  asciiDecoder ??= new TextDecoder()
  const text = asciiDecoder.decode(out)
  const rest = length - whole
  if (rest === 0) return text
  // The last one or two bytes: drop the four placeholder characters and write them padded.
  const n = (bytes[whole]! << 16) | (rest === 2 ? bytes[whole + 1]! << 8 : 0)
  const tail =
    ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]! + (rest === 2 ? ALPHABET[(n >>> 6) & 63]! : '=') + '='
  return text.slice(0, -4) + tail
}

/** The strict table-based decoder used where the platform has no native one. Exported for tests. */
export function decodeBase64Portable(text: string): Uint8Array<ArrayBuffer> | undefined {
  const length = text.length
  if (length % 4 !== 0) return undefined
  if (length === 0) return new Uint8Array(0)
  const chars = asciiBytes(text)
  if (!chars) return undefined

  const padding = chars[length - 1] !== PAD ? 0 : chars[length - 2] === PAD ? 2 : 1
  const out = new Uint8Array((length / 4) * 3 - padding)
  const lastQuad = length - 4
  let o = 0
  for (let i = 0; i < lastQuad; i += 4) {
    const n =
      (DECODE_TABLE[chars[i]!]! << 18) |
      (DECODE_TABLE[chars[i + 1]!]! << 12) |
      (DECODE_TABLE[chars[i + 2]!]! << 6) |
      DECODE_TABLE[chars[i + 3]!]!
    if (n < 0) return undefined // an invalid character makes the whole number negative
    out[o++] = n >>> 16
    out[o++] = (n >>> 8) & 255
    out[o++] = n & 255
  }

  // The last quad may carry padding, and the bits that padding hides must be zero.
  const c0 = DECODE_TABLE[chars[lastQuad]!]!
  const c1 = DECODE_TABLE[chars[lastQuad + 1]!]!
  const c2 = padding === 2 ? 0 : DECODE_TABLE[chars[lastQuad + 2]!]!
  const c3 = padding >= 1 ? 0 : DECODE_TABLE[chars[lastQuad + 3]!]!
  const n = (c0 << 18) | (c1 << 12) | (c2 << 6) | c3
  if (n < 0) return undefined
  if (padding === 2 && (c1 & 15) !== 0) return undefined
  if (padding === 1 && (c2 & 3) !== 0) return undefined
  out[o++] = n >>> 16
  if (padding < 2) out[o++] = (n >>> 8) & 255
  if (padding < 1) out[o] = n & 255
  return out
}

/**
 * The text's characters as bytes, or `undefined` when one is not ASCII. Long texts go through the
 * native encoder; short ones (IVs, small messages) are cheaper to copy in a loop than a native call.
 */
function asciiBytes(text: string): Uint8Array | undefined {
  const length = text.length
  const chars = new Uint8Array(length)
  if (length > 256) {
    asciiEncoder ??= new TextEncoder()
    const { read, written } = asciiEncoder.encodeInto(text, chars)
    return read === length && written === length ? chars : undefined
  }
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i)
    if (code > 127) return undefined
    chars[i] = code
  }
  return chars
}
