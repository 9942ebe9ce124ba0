import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { onCleanup, rawClient, SECRET, token } from './helpers'
import { v2Peer } from './v2Peer'

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url))

describe('encrypted-socket-server --require-v2', () => {
  it('says so at startup, refuses v1 upgrades with 426 and serves v2 clients', async () => {
    const child = spawn(
      process.execPath,
      [CLI, '--port', '0', '--jwt-secret', SECRET, '--ecdh-info', 'cli-v2', '--require-v2'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    onCleanup(() => child.kill('SIGKILL'))
    let stdout = ''
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk) => {
        stdout += chunk
        const match = /^encrypted-socket server listening on .*$/m.exec(stdout)
        if (match) resolve(match[0])
      })
      child.once('exit', (code) => reject(new Error(`exited with ${code}`)))
    })
    expect(line).toContain('protocol v2 only')
    const url = /ws:\/\/\S+/.exec(line)![0]
    await expect(rawClient(url).opened).rejects.toThrow('HTTP 426')
    const peer = v2Peer(url, { ecdhInfo: 'cli-v2' })
    expect(await peer.handshake(await token('ana'))).toMatchObject({ t: 'ready', userId: 'ana' })
  })
})
