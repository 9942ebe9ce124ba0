// Runs the pinned pnpm through npx, so a machine with only Node and npm needs nothing else.
import { spawnSync } from 'node:child_process'

const PNPM = 'pnpm@12.21.0'
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx'
const result = spawnSync(npx, ['-y', PNPM, ...process.argv.slice(2)], { stdio: 'inherit' })
process.exit(result.status ?? 1)
