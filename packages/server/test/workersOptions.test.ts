import { describe, expect, it } from 'vitest'
import { availableParallelism } from 'node:os'
import { createEncryptedSocketServer, EncryptedSocketServer } from '../src/index'
import { startCli } from './cliProcess'
import { ECDH_INFO, SECRET, startServer } from './helpers'
import { useSourceSealWorker } from './sealWorkerBuild'

useSourceSealWorker()

const options = { port: 0, ecdhInfo: ECDH_INFO, jwtSecret: SECRET }

describe('workers: the option', () => {
  it.each([-1, 1.5, 65, Number.NaN, Infinity, '2' as unknown as number])(
    'refuses workers: %s at startup, saying what it takes',
    async (workers) => {
      await expect(createEncryptedSocketServer({ ...options, workers })).rejects.toThrow(
        /`workers` must be a whole number from 0 \(fan-out sealed on the main thread\) to 64; got/,
      )
    },
  )

  it('0 (the default) starts no worker; 64 is accepted; the workers start with the server, not before', async () => {
    expect((await startServer()).sealWorkers).toBeNull()
    expect((await startServer({ workers: 0 })).sealWorkers).toBeNull()
    expect(new EncryptedSocketServer({ ...options, workers: 64 }).sealWorkers).toBeNull()
    const started = await startServer({ workers: 2 })
    expect(started.sealWorkers!.running).toBe(2)
  })

  it('warns at startup when there are as many workers as cores or more, not below', async () => {
    const cores = availableParallelism()
    if (cores > 64) return // no valid `workers` reaches the core count
    const server = await startServer({ workers: cores })
    expect(server.logger.lines.some((line) => line.includes(`${cores} seal threads on ${cores} cores`))).toBe(
      true,
    )
    if (cores < 2) return
    const fewer = await startServer({ workers: cores - 1 })
    expect(fewer.logger.lines.some((line) => line.includes('seal threads on'))).toBe(false)
  })
})

describe('workers: the CLI (built)', () => {
  it.each([
    ['--workers', 'two'],
    ['--workers', '65'],
    ['--workers=-1', ''],
    ['--workers', '1.5'],
  ])('%s %s exits 2 and says why', async (...args) => {
    const cli = startCli([...args.filter(Boolean), '--port', '0'])
    expect(await cli.exited).toBe(2)
    expect(cli.output()).toContain('--workers must be a whole number from 0 to 64')
  })

  it('--workers 2 (or ENCRYPTED_SOCKET_WORKERS) starts a server that says so', async () => {
    const flag = startCli(['--workers', '2', '--port', '0'])
    await flag.url
    expect(flag.output()).toContain('2 seal workers')
    const variable = startCli(['--port', '0'], { ENCRYPTED_SOCKET_WORKERS: '1' })
    await variable.url
    expect(variable.output()).toContain('1 seal worker)')
  })
})
