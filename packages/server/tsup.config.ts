import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base'

export default defineConfig(
  packageBuild({
    // cli.ts starts with a hashbang, which esbuild keeps.
    entry: ['src/index.ts', 'src/cli.ts'],
    dts: { entry: 'src/index.ts' },
    target: 'node20',
  }),
)
