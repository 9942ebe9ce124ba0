// publint and attw (are the types wrong?) for every published package: what users install.
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const packages = ['core', 'react', 'vue', 'server', 'testing']
const bin = (name) => fileURLToPath(new URL(`../node_modules/.bin/${name}`, import.meta.url))
let failed = false
for (const name of packages) {
  const dir = fileURLToPath(new URL(`../packages/${name}`, import.meta.url))
  for (const [tool, args] of [
    ['publint', ['--strict', '--pack', 'npm']],
    ['attw', ['--pack', '.', '--profile', 'node16', '--format', 'ascii']],
  ]) {
    try {
      execFileSync(bin(tool), args, { cwd: dir, stdio: 'pipe' })
      console.log(`${tool} @encrypted-socket/${name}: ok`)
    } catch (error) {
      failed = true
      console.error(`${tool} @encrypted-socket/${name} failed:\n${error.stdout}${error.stderr}`)
    }
  }
}
process.exit(failed ? 1 : 0)
