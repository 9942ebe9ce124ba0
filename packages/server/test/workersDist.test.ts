import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { onCleanup } from './helpers'

const CHILD = fileURLToPath(new URL('./workersDistChild.mjs', import.meta.url))
const DIST = fileURLToPath(new URL('../dist/', import.meta.url))

/** Runs the child on the built package; resolves with its exit code and output once it exits by itself. */
function run(format: 'esm' | 'cjs', ending: 'close' | 'drain') {
  const child = spawn(process.execPath, [CHILD, format, ending], { stdio: ['ignore', 'pipe', 'pipe'] })
  onCleanup(() => child.kill('SIGKILL'))
  let output = ''
  child.stdout.on('data', (chunk) => (output += chunk))
  child.stderr.on('data', (chunk) => (output += chunk))
  return new Promise<{ code: number | null; output: string }>((resolve) =>
    child.once('exit', (code) => resolve({ code, output })),
  )
}

describe('workers: the built package', () => {
  it('has its worker file beside each build', () => {
    expect(existsSync(`${DIST}sealWorker.js`) && existsSync(`${DIST}sealWorker.cjs`)).toBe(true)
  })

  it.each([
    ['esm', 'close'],
    ['cjs', 'close'],
    ['esm', 'drain'],
    ['cjs', 'drain'],
  ] as const)(
    '%s build: real v1 and v2 clients read what the workers sealed; after %s() the process ends by itself (no thread left)',
    async (format, ending) => {
      const { code, output } = await run(format, ending)
      expect(code, output).toBe(0)
      const [result, ended] = output.trim().split('\n')
      expect(JSON.parse(result!)).toEqual({
        received: [
          [1, 2, 3],
          [1, 2, 3],
        ],
        sealedThere: 6,
      })
      expect(ended).toBe(`${ending}d, running 0`)
    },
  )
})
