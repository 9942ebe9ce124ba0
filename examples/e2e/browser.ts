import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { chromium, type Browser } from 'playwright-core'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Debian's headless Chromium, without the background traffic a closed network refuses. */
export function launchChromium(): Promise<Browser> {
  const home = mkdtempSync(join(tmpdir(), 'es-chromium-'))
  process.env.XDG_CONFIG_HOME ??= join(home, 'config')
  process.env.XDG_CACHE_HOME ??= join(home, 'cache')
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  })
}

/**
 * Core's built ESM as one file, for a page that imports it without a bundler (`dist/index.js`
 * shares chunks with `dist/v2.js`).
 */
export async function coreBundle(): Promise<string> {
  const entry = fileURLToPath(new URL('../../packages/core/dist/index.js', import.meta.url))
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    write: false,
    logLevel: 'silent',
  })
  return result.outputFiles[0]!.text
}
