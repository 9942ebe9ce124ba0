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
  return moreOpenersThan(json, maxDepth) && jsonDepthExceeds(json, maxDepth)
}

/**
 * Whether the bytes hold more than `limit` `[` and `{` in all (inside strings too). JSON with
 * fewer cannot nest deeper than `limit`, so the scan that follows strings is only needed past it:
 * counted with `indexOf` (native), this is a few calls for a usual message, not a loop per byte.
 */
function moreOpenersThan(json: Buffer, limit: number): boolean {
  let count = 0
  for (const opener of OPENERS) {
    for (let at = json.indexOf(opener); at !== -1; at = json.indexOf(opener, at + 1)) {
      if (++count > limit) return true
    }
  }
  return false
}

const OPENERS = [0x5b, 0x7b] // [ {

/** The same bytes typed as core's readers want them. */
export function viewOf(bytes: Buffer): Uint8Array<ArrayBuffer> {
  return new Uint8Array(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.length)
}
