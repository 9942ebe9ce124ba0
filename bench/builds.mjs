// Other commits' builds beside this one, for benchmarks that compare them in one run
// (delivery.mjs, throughputCompare.mjs, handshake*.mjs, throughput-browser.mjs): each checked out
// into a git worktree and built there; each build's server runs in its own process
// (buildServer.mjs), its clients load that build's core.
import { execFileSync, fork } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
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
  return buildWorktree(commit)
}

/** `commit` checked out into a new git worktree, its core and server built; `remove()` deletes it. */
export function buildWorktree(commit) {
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

/**
 * The builds a side-by-side benchmark runs, from BENCH_BUILDS: comma-separated `name=commit` or
 * `name=<directory of a built checkout, starting with . or />` (`now=.` is this working tree, as built), e.g.
 * `BENCH_BUILDS=seed=d936a87,current=281602e`; `fallback` when it is not set. A commit is built
 * in a worktree (removed by `remove()`), a directory is used as it is. Each build has `name`,
 * `dir`, `core` and `server` (their dist entry points), `source` (what was asked for) and
 * `protocols`: ['v1', 'v2'] if its client knows the `protocol` option, else ['v1'] (before v2).
 */
export async function selectedBuilds(fallback = 'now=.') {
  const builds = []
  try {
    for (const entry of (process.env.BENCH_BUILDS ?? fallback).split(',').map((s) => s.trim())) {
      const [name, source] = entry.split('=')
      const local = source.startsWith('.') || source.startsWith('/')
      const { dir, remove } = local ? { dir: resolve(root, source), remove() {} } : buildWorktree(source)
      const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: dir }).toString().trim()
      builds.push({ name, source, dir, remove, commit: local && dir === resolve(root) ? `${commit}+working tree` : commit, ...builtModules(dir) })
    }
    for (const build of builds) build.protocols = (await knowsV2(build.core)) ? ['v1', 'v2'] : ['v1']
  } catch (error) {
    for (const build of builds) build.remove()
    throw error
  }
  return Object.assign(builds, {
    remove: () => builds.forEach((build) => build.remove()),
    described: builds.map(({ name, commit }) => `${name} ${commit}`).join(', '),
  })
}

/** Whether a build's client validates `protocol` (v2's option): the seed ignores unknown options. */
async function knowsV2(coreModule) {
  const { EncryptedWebSocketClient } = await import(pathToFileURL(coreModule).href)
  try {
    new EncryptedWebSocketClient({ url: 'ws://127.0.0.1:9', ecdhInfo: 'probe', WebSocket, logger: quiet, protocol: 'not-a-protocol' })
    return false
  } catch {
    return true
  }
}

/** A build's server (its `dist/index.js`) in its own process, limits lifted. */
export function startBuildServer(serverModule) {
  const child = fork(fileURLToPath(new URL('buildServer.mjs', import.meta.url)), [serverModule], { stdio: 'inherit' })
  return new Promise((resolve) =>
    child.once('message', ({ url }) => resolve({ url, stop: () => new Promise((done) => child.once('exit', done) && child.send('stop')) })),
  )
}

/** A token that build servers accept, for `user`. */
export const buildToken = (user) =>
  new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(user).setExpirationTime('1h').sign(new TextEncoder().encode(BUILD_SECRET))

/**
 * A function that makes clients of a build's core (its `dist/index.js`) for that build's server,
 * not connected yet, with the class loaded and the token signed ahead.
 */
export async function buildClientFactory(coreModule, url, user, options = {}) {
  const { EncryptedWebSocketClient } = await import(pathToFileURL(coreModule).href)
  const token = await buildToken(user)
  // maxTrackedIvs: the seed's v1 client re-keys (reconnects) after 65,536 IVs by default.
  return () => new EncryptedWebSocketClient({ url, ecdhInfo: BUILD_ECDH_INFO, token, WebSocket, logger: quiet, maxTrackedIvs: 1e9, ...options })
}

/** A connected client of a build's core, for that build's server. */
export async function connectBuildClient(coreModule, url, user, options = {}) {
  const client = (await buildClientFactory(coreModule, url, user, options))()
  await client.connect()
  return client
}
