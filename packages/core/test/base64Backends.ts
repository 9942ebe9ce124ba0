import { vi } from 'vitest'
import * as withBuffer from '../src/crypto/base64'

type Base64 = typeof withBuffer

/** The module as a platform without Buffer (and without native base64) loads it: atob and btoa. */
async function loadWithoutBuffer(): Promise<Base64> {
  vi.stubGlobal('Buffer', undefined)
  vi.resetModules()
  try {
    return await import('../src/crypto/base64')
  } finally {
    vi.unstubAllGlobals()
    vi.resetModules()
  }
}

/** Each decoding path Node can run: Buffer, and atob/btoa. The native one runs in Chromium (e2e). */
export const base64Backends: [name: string, codec: Base64][] = [
  ['Buffer', withBuffer],
  ['atob/btoa', await loadWithoutBuffer()],
]

/** An independent canonical check: Node decodes leniently, canonical text survives a round trip. */
export function isCanonicalBase64(text: string): boolean {
  return text.length % 4 === 0 && Buffer.from(text, 'base64').toString('base64') === text
}
