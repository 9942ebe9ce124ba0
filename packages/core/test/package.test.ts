import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// Checks the built package (npm test builds before it tests) the way Node resolves it for users:
// in a separate process, through the exports map (the test runner's aliases point at the source).
const packageDir = fileURLToPath(new URL('..', import.meta.url))
const dist = (file: string) => new URL(`../dist/${file}`, import.meta.url)

function runNode(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: packageDir, encoding: 'utf8' })
}

describe('the built package', () => {
  it('loads through the exports map as ESM and as CommonJS, with the same API', () => {
    const esm = runNode([
      '--input-type=module',
      '-e',
      "const m = await import('@encrypted-socket/core'); console.log(JSON.stringify(Object.keys(m).sort()))",
    ])
    const cjs = runNode([
      '-e',
      "console.log(JSON.stringify(Object.keys(require('@encrypted-socket/core')).sort()))",
    ])
    expect(JSON.parse(esm)).toEqual(JSON.parse(cjs))
    expect(JSON.parse(esm)).toContain('EncryptedWebSocketClient')
  })

  it('can be imported where there is no window (server rendering)', () => {
    const out = runNode([
      '--input-type=module',
      '-e',
      "const { EncryptedWebSocketClient } = await import('@encrypted-socket/core'); const c = new EncryptedWebSocketClient({ url: 'wss://example.com', ecdhInfo: 'x' }); console.log(c.getState(), typeof window)",
    ])
    expect(out.trim()).toBe('disconnected undefined')
  })

  it.each(['index.d.ts', 'index.d.cts'])('%s has no `any` in the public types', (file) => {
    const types = readFileSync(dist(file), 'utf8')
    const code = types.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '')
    expect(code).toContain('declare class EncryptedSocketError')
    expect(code.match(/\bany\b/g)).toBeNull()
  })
})
