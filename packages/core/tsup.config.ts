import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base'

const entry = ['src/index.ts', 'src/v2.ts']

// Two builds of the same source: dist/ keeps the development messages and checks (what Node and
// every bundler gets by default); dist/production/ has the short ones, for bundlers that resolve
// the `production` export condition (Vite and webpack in a production build). `__DEV__` is the
// switch, a constant each build replaces so that minifiers drop the branch it guards.
export default defineConfig([
  packageBuild({ entry, clean: false, define: { __DEV__: 'true' } }),
  packageBuild({ entry, clean: false, dts: false, outDir: 'dist/production', define: { __DEV__: 'false' } }),
])
