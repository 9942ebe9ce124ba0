import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
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

  it('resolves the production build under the `production` condition, ESM and CommonJS, and v2 alike', () => {
    const texts = runNode([
      '--conditions=production',
      '--input-type=module',
      '-e',
      [
        "import { createRequire } from 'node:module'",
        'const require = createRequire(process.cwd() + "/")',
        "const options = { url: 'wss://example.com', ecdhInfo: 'x', reconnect: { interval: -1 } }",
        'const text = (m) => { try { new m.EncryptedWebSocketClient(options) } catch (e) { return e.message } }',
        "const builds = [await import('@encrypted-socket/core'), require('@encrypted-socket/core'), await import('@encrypted-socket/core/v2'), require('@encrypted-socket/core/v2')]",
        'console.log(JSON.stringify(builds.map(text)))',
      ].join('; '),
    ])
    expect(JSON.parse(texts)).toEqual(Array(4).fill('Option "reconnect.interval" is invalid.'))
  })

  it('can be imported where there is no window (server rendering)', () => {
    const out = runNode([
      '--input-type=module',
      '-e',
      "const { EncryptedWebSocketClient } = await import('@encrypted-socket/core'); const c = new EncryptedWebSocketClient({ url: 'wss://example.com', ecdhInfo: 'x' }); console.log(c.getState(), typeof window)",
    ])
    expect(out.trim()).toBe('disconnected undefined')
  })

  it.each(['.d.ts', '.d.cts'])('the %s declarations have no `any` in the public types', (extension) => {
    // index, v2 and the declarations they share.
    const files = readdirSync(dist('')).filter((file) => file.endsWith(extension))
    expect(files).toEqual(expect.arrayContaining([`index${extension}`, `v2${extension}`]))
    const types = files.map((file) => readFileSync(dist(file), 'utf8')).join('\n')
    const code = types.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '')
    expect(code).toContain('declare class EncryptedSocketError')
    expect(code.match(/\bany\b/g)).toBeNull()
  })
})
