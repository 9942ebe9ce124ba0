// `npm run storybook`: the React stories on 6006, with the Vue stories (6007) composed into the
// same sidebar. Ctrl-C stops both.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const cwd = fileURLToPath(new URL('../storybook', import.meta.url))
const env = { ...process.env, STORYBOOK_DISABLE_TELEMETRY: '1' }
const start = (config, port) =>
  spawn(
    'npx',
    ['storybook', 'dev', '-c', config, '-p', String(port), '--host', '127.0.0.1', '--ci', '--quiet'],
    {
      cwd,
      env,
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  )

const children = [start('.storybook-vue', 6007), start('.storybook-react', 6006)]
console.log('Storybook: http://127.0.0.1:6006 (React, with the Vue stories composed in; Vue alone on 6007)')
const stop = () => {
  children.forEach((child) => child.kill('SIGTERM'))
  process.exit(0)
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
