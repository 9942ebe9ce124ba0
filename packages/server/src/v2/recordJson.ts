import { jsonDepthExceeds } from '../jsonDepth'

/**
 * Whether the JSON part of a record's plaintext (`uint32(J) ‖ J bytes ‖ attachment`) nests deeper
 * than `maxDepth`, scanned before `JSON.parse` spends time on it. A length that runs past the
 * record is left to `readMessage` to refuse.
 */
export function recordJsonTooDeep(plaintext: Buffer, maxDepth: number): boolean {
  if (plaintext.length < 4) return false
  const length = Math.min(plaintext.readUInt32BE(0), plaintext.length - 4)
  const json = plaintext.subarray(4, 4 + length)
  return jsonDepthExceeds(json, maxDepth)
}

/** The same bytes typed as core's readers want them. */
export function viewOf(bytes: Buffer): Uint8Array<ArrayBuffer> {
  return new Uint8Array(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.length)
}
