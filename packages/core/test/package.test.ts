import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'

// Checks the built package (npm test builds before it tests): what users install.
const dist = (file: string) => new URL(`../dist/${file}`, import.meta.url)

describe('the built package', () => {
  it('loads through the exports map as ESM and as CommonJS, with the same API', async () => {
    const esm = await import('@encrypted-socket/core')
    const cjs = createRequire(import.meta.url)('@encrypted-socket/core')
    expect(Object.keys(esm).sort()).toEqual(Object.keys(cjs).sort())
    expect(esm.parseFrame('{"event":"heartbeat"}')).toEqual({ type: 'heartbeat' })
    expect(new cjs.EncryptedSocketError('ERR_DECRYPT', 'm').code).toBe('ERR_DECRYPT')
  })

  it.each(['index.d.ts', 'index.d.cts'])('%s has no `any` in the public types', (file) => {
    const types = readFileSync(dist(file), 'utf8')
    expect(types).toContain('declare class EncryptedSocketError')
    expect(types.match(/\bany\b/g)).toBeNull()
  })
})
