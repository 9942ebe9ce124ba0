import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base'

export default defineConfig(
  packageBuild({
    // index.ts with core's client (v1 and v2), v2.ts with its v2-only one.
    entry: ['src/index.ts', 'src/v2.ts'],
    external: ['vue', '@encrypted-socket/core', '@encrypted-socket/core/v2'],
  }),
)
