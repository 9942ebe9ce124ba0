import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { afterAll, beforeAll } from 'vitest'
import { setSealWorkerScript } from '../src/workers/workerScript'

/**
 * The tests run the server's sources, which Node cannot run in a worker thread untranspiled: this
 * builds `src/workers/sealWorker.ts` (and what it imports) into one file for the file's tests and
 * points `workers` at it. The built package runs its own `dist/sealWorker.js` (workersDist.test.ts).
 */
export function useSourceSealWorker(): void {
  let dir = ''
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'seal-worker-'))
    const outfile = join(dir, 'sealWorker.mjs')
    await build({
      entryPoints: [fileURLToPath(new URL('../src/workers/sealWorker.ts', import.meta.url))],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile,
      logLevel: 'error',
    })
    setSealWorkerScript(outfile)
  })
  afterAll(() => {
    setSealWorkerScript(null)
    rmSync(dir, { recursive: true, force: true })
  })
}
