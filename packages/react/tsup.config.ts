import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  tsconfig: 'tsconfig.build.json',
  external: ['react', '@encrypted-socket/core'],
  // Every export is a client hook or component (React Server Components need the directive).
  banner: { js: "'use client';" },
})
