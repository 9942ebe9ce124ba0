import type { Options } from 'tsup'

/** How every published package is built: ESM + CJS + .d.ts from src/index.ts. */
export const packageBuild = (overrides: Options = {}): Options => ({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  tsconfig: 'tsconfig.build.json',
  ...overrides,
})
