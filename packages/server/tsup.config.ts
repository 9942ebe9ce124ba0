import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base'

export default defineConfig(
  packageBuild({
    // cli.ts starts with a hashbang, which esbuild keeps. sealWorker is the `workers` thread,
    // started from the file beside the build that starts it (dist/sealWorker.js or .cjs).
    entry: { index: 'src/index.ts', cli: 'src/cli.ts', sealWorker: 'src/workers/sealWorker.ts' },
    dts: { entry: 'src/index.ts' },
    target: 'node20',
    // workerScript.ts reads import.meta.url in the ESM build only (the CJS one uses __filename).
    esbuildOptions(options, { format }) {
      if (format === 'cjs') options.logOverride = { 'empty-import-meta': 'silent' }
    },
  }),
)
