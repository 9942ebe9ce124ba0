import { defineConfig } from 'tsup'

export default defineConfig({
  // cli.ts starts with a hashbang, which esbuild keeps.
  entry: ['src/index.ts', 'src/cli.ts'],
  format: ['esm', 'cjs'],
  dts: { entry: 'src/index.ts' },
  clean: true,
  sourcemap: true,
  target: 'node20',
  tsconfig: 'tsconfig.build.json',
})
