import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { onCleanup } from './helpers'

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url))

/**
 * Starts the built CLI (killed after the test); `url` resolves once it printed where it listens
 * and rejects if it exits first; `output()` is what it printed so far, both streams.
 */
export function startCli(args: string[], env: Record<string, string> = {}) {
  const child: ChildProcess = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  onCleanup(() => child.kill('SIGKILL'))
  let output = ''
  child.stdout!.on('data', (chunk) => (output += chunk))
  child.stderr!.on('data', (chunk) => (output += chunk))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const url = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', () => {
      const match = /listening on (ws:\/\/\S+)/.exec(output)
      if (match) resolve(match[1]!)
    })
    void exited.then((code) => reject(new Error(`exited with ${code}: ${output}`)))
  })
  url.catch(() => undefined) // awaited only by the tests that expect a server
  return { child, url, exited, output: () => output }
}
