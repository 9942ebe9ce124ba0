import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

let override: string | null = null

/**
 * The seal worker's file: built beside this code by tsup (`dist/sealWorker.js` for the ESM build,
 * `dist/sealWorker.cjs` for the CommonJS one). Throws a startup error when it is missing.
 */
export function sealWorkerScript(): string {
  const file =
    override ??
    (typeof __filename === 'string'
      ? join(dirname(__filename), 'sealWorker.cjs')
      : fileURLToPath(new URL('./sealWorker.js', import.meta.url)))
  if (!existsSync(file)) {
    throw new Error(
      `encrypted-socket server: \`workers\` needs its worker file, ${file}, which is missing: reinstall @encrypted-socket/server (or, bundling the server, copy dist/sealWorker.js beside the bundle).`,
    )
  }
  return file
}

/**
 * For tests only (not exported by the package): the sources run untranspiled by Node in a
 * worker, so tests point the pool at a build of `sealWorker.ts`. `null` restores the default.
 */
export function setSealWorkerScript(file: string | null): void {
  override = file
}
