/**
 * Whether JSON (text, or its UTF-8 bytes) nests arrays and objects deeper than `maxDepth`, found
 * by one linear scan without parsing: `JSON.parse` of a deep `[[[[…` costs far more than the
 * frame is worth. Text that is not JSON may pass; the parser refuses it afterwards. (In UTF-8 no
 * byte of a multi-byte character is ASCII, so bytes scan like text.)
 */
export function jsonDepthExceeds(json: string | Uint8Array, maxDepth: number): boolean {
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

const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
