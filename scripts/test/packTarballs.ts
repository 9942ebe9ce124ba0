// The workspace's packages as published: `pnpm pack` writes the tarball npm would download, with
// `workspace:*` rewritten to versions. For the tests that npm-install them into a fresh app.
import { execFile } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const PNPM = join(ROOT, 'scripts/pnpm.mjs')
const execFileAsync = promisify(execFile)

/** Packs packages/<name> (built: dist as it is) into `destination`; the tarballs' paths, in order. */
export async function packTarballs(names: readonly string[], destination: string): Promise<string[]> {
  await Promise.all(
    names.map((name) =>
      execFileAsync(process.execPath, [PNPM, 'pack', '--pack-destination', destination], {
        cwd: join(ROOT, 'packages', name),
      }),
    ),
  )
  const files = readdirSync(destination)
  return names.map((name) => {
    const file = files.find((file) => file.startsWith(`encrypted-socket-${name}-`) && file.endsWith('.tgz'))
    if (!file) throw new Error(`pnpm pack wrote no tarball for packages/${name} in ${destination}`)
    return join(destination, file)
  })
}
