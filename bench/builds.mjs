// Another commit's build beside this one, for benchmarks that compare the two in one run
// (delivery.mjs, throughputCompare.mjs): checked out into a git worktree and built there; each
// build's server runs in its own process (buildServer.mjs), its clients load that build's core.
import { execFileSync, fork } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { SignJWT } from 'jose'
import WebSocket from 'ws'
import { BUILD_ECDH_INFO, BUILD_SECRET } from './buildServer.mjs'

export const root = fileURLToPath(new URL('..', import.meta.url))
const quiet = { debug() {}, info() {}, warn() {}, error() {} }

/** This build's and another's entry points. */
export const builtModules = (dir) => ({
  core: join(dir, 'packages/core/dist/index.js'),
  server: join(dir, 'packages/server/dist/index.js'),
})

/**
 * `commit` checked out beside the repo's node_modules and its core and server built;
 * BENCH_BASELINE_DIR reuses a worktree built already (kept afterwards).
 */
export function buildBaseline(commit) {
  if (process.env.BENCH_BASELINE_DIR) return { dir: process.env.BENCH_BASELINE_DIR, remove() {} }
  if (!commit) throw new Error('Set BENCH_BASELINE=<commit> (or BENCH_BASELINE_DIR=<a built worktree>).')
  const dir = mkdtempSync(join(tmpdir(), 'es-bench-baseline-'))
  execFileSync('git', ['worktree', 'add', '--detach', dir, commit], { cwd: root, stdio: 'ignore' })
  for (const path of ['node_modules', 'packages/core/node_modules']) {
    if (existsSync(join(root, path))) symlinkSync(join(root, path), join(dir, path))
  }
  // The server's dependencies, except core: the baseline's server must load the baseline's core
  // (a link to this repo's packages/server/node_modules would resolve core to this build's).
  const serverModules = join(dir, 'packages/server/node_modules')
  mkdirSync(join(serverModules, '@encrypted-socket'), { recursive: true })
  for (const entry of readdirSync(join(root, 'packages/server/node_modules'))) {
    if (entry !== '@encrypted-socket') symlinkSync(join(root, 'packages/server/node_modules', entry), join(serverModules, entry))
  }
  symlinkSync(join(dir, 'packages/core'), join(serverModules, '@encrypted-socket/core'))
  for (const pkg of ['core', 'server']) execFileSync('npx', ['tsup'], { cwd: join(dir, 'packages', pkg), stdio: 'ignore' })
  return { dir, remove: () => execFileSync('git', ['worktree', 'remove', '--force', dir], { cwd: root, stdio: 'ignore' }) }
}

/** A build's server (its `dist/index.js`) in its own process, limits lifted. */
export function startBuildServer(serverModule) {
  const child = fork(fileURLToPath(new URL('buildServer.mjs', import.meta.url)), [serverModule], { stdio: 'inherit' })
  return new Promise((resolve) =>
    child.once('message', ({ url }) => resolve({ url, stop: () => new Promise((done) => child.once('exit', done) && child.send('stop')) })),
  )
}

/** A connected client of a build's core (its `dist/index.js`), for that build's server. */
export async function connectBuildClient(coreModule, url, user, options = {}) {
  const { EncryptedWebSocketClient } = await import(pathToFileURL(coreModule).href)
  const key = new TextEncoder().encode(BUILD_SECRET)
  const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(user).setExpirationTime('1h').sign(key)
  const client = new EncryptedWebSocketClient({ url, ecdhInfo: BUILD_ECDH_INFO, token, WebSocket, logger: quiet, ...options })
  await client.connect()
  return client
}
