/**
 * Standard base64 (RFC 4648 §4, with padding), strict and canonical on decode.
 *
 * Encoding and decoding use what the platform has, fastest first: `Uint8Array.prototype.toBase64` /
 * `Uint8Array.fromBase64` (current browsers), Node's `Buffer`, then `btoa` / `atob` (everywhere).
 * None builds a string one byte at a time, so a 1 MiB message costs milliseconds.
 */

type NativeToBase64 = (this: Uint8Array) => string
type NativeFromBase64 = (text: string) => Uint8Array<ArrayBuffer>
interface NodeBuffer {
  from(bytes: ArrayBufferLike, offset: number, length: number): { toString(encoding: 'base64'): string }
  from(text: string, encoding: 'base64'): Uint8Array
}

const nativeToBase64 = (Uint8Array.prototype as { toBase64?: NativeToBase64 }).toBase64
const nativeFromBase64 = (Uint8Array as { fromBase64?: NativeFromBase64 }).fromBase64
// Read from globalThis so that bundlers do not add a Buffer polyfill to browser builds.
const NodeBuffer = (globalThis as { Buffer?: NodeBuffer }).Buffer

/** Encodes bytes as padded standard base64. */
export function encodeBase64(bytes: Uint8Array): string {
  if (nativeToBase64) return nativeToBase64.call(bytes)
  if (NodeBuffer) return NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64')
  return encodeBase64Portable(bytes)
}

/**
 * Decodes padded standard base64, or returns `undefined` when `text` is not its canonical form:
 * a length that is not a multiple of 4, whitespace, characters outside the alphabet, misplaced
 * padding, or non-zero bits after the last byte.
 */
export function decodeBase64(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (text.length % 4 !== 0) return undefined
  let bytes: Uint8Array<ArrayBuffer>
  try {
    if (nativeFromBase64) bytes = nativeFromBase64(text)
    else if (NodeBuffer) bytes = viewOf(NodeBuffer.from(text, 'base64'))
    else bytes = decodeBase64Portable(text)
  } catch {
    return undefined // the native decoder and atob throw on characters outside the alphabet
  }
  // The decoders are lenient (whitespace, URL-safe characters, stray bits); canonical text is
  // exactly what the bytes encode back to, so one comparison rejects all of it.
  return encodeBase64(bytes) === text ? bytes : undefined
}

/** The `btoa` encoder, for platforms with neither of the faster ones. Exported for tests. */
export function encodeBase64Portable(bytes: Uint8Array): string {
  let binary = ''
  // Chunks keep the argument list of fromCharCode far below engines' limits.
  for (let i = 0; i < bytes.length; i += 32_768) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 32_768))
  }
  return btoa(binary)
}

/** The `atob` decoder (lenient; `decodeBase64` checks the result). Exported for tests. */
export function decodeBase64Portable(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

/**
 * A plain Uint8Array with a buffer of its own. Small Buffers are slices of Node's shared pool,
 * whose `.buffer` holds other data (earlier frames, tokens): those are copied.
 */
function viewOf(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const owned = bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.length
  return owned ? new Uint8Array(bytes.buffer as ArrayBuffer) : new Uint8Array(bytes)
}
