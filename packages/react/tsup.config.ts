import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base'

export default defineConfig(
  packageBuild({
    external: ['react', '@encrypted-socket/core'],
    // Every export is a client hook or component (React Server Components need the directive).
    banner: { js: "'use client';" },
  }),
)
