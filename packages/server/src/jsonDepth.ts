/**
 * Whether JSON (text, or its UTF-8 bytes) nests arrays and objects deeper than `maxDepth`, found
 * by one linear scan without parsing: `JSON.parse` of a deep `[[[[…` costs far more than the
 * frame is worth. Text that is not JSON may pass; the parser refuses it afterwards. (In UTF-8 no
 * byte of a multi-byte character is ASCII, so bytes scan like text.)
 */
export function jsonDepthExceeds(json: string | Uint8Array, maxDepth: number): boolean {
  // JSON with no more than `maxDepth` openers in all cannot nest deeper: counted natively first,
  // so that a usual frame (a few openers, kilobytes of strings) is never walked in JavaScript.
  if (!moreOpenersThan(json, maxDepth)) return false
  const codeAt = typeof json === 'string' ? (i: number) => json.charCodeAt(i) : (i: number) => json[i]!
  let depth = 0
  let inString = false
  for (let i = 0; i < json.length; i++) {
    const char = codeAt(i)
    if (inString) {
      if (char === BACKSLASH) i++
      else if (char === QUOTE) inString = false
    } else if (char === QUOTE) {
      inString = true
    } else if (char === OPEN_BRACKET || char === OPEN_BRACE) {
      if (++depth > maxDepth) return true
    } else if (char === CLOSE_BRACKET || char === CLOSE_BRACE) {
      depth--
    }
  }
  return false
}

/** Whether the text holds more than `limit` `[` and `{` in all (inside strings too). */
function moreOpenersThan(json: string | Uint8Array, limit: number): boolean {
  let count = 0
  const counted = (indexOf: (from: number) => number): boolean => {
    for (let at = indexOf(0); at !== -1; at = indexOf(at + 1)) if (++count > limit) return true
    return false
  }
  if (typeof json === 'string') {
    return counted((from) => json.indexOf('[', from)) || counted((from) => json.indexOf('{', from))
  }
  return (
    counted((from) => json.indexOf(OPEN_BRACKET, from)) || counted((from) => json.indexOf(OPEN_BRACE, from))
  )
}

const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
