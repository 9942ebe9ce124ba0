// `pnpm bench`: every benchmark, one after the other (each prints its own table).
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const here = fileURLToPath(new URL('.', import.meta.url))
const benches = ['handshake.mjs', 'handshake-browser.mjs', 'swarm.mjs', 'throughput.mjs', 'throughput-browser.mjs', 'binary-crypto.mjs', 'render.mjs', 'fanout.mjs', 'fanout-redis.mjs', 'abuse.mjs']
execFileSync('pnpm', ['--filter', '@encrypted-socket/core', 'bench:crypto'], { stdio: 'inherit', cwd: here })
for (const bench of benches) {
  console.log(`\n── ${bench} ──`)
  execFileSync(process.execPath, [bench], { stdio: 'inherit', cwd: here })
}
