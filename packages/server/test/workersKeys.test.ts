import { describe, expect, it } from 'vitest'
import { client, startServer, token, until } from './helpers'
import { useSourceSealWorker } from './sealWorkerBuild'

useSourceSealWorker()

describe('workers: keys', () => {
  it('a ready connection’s key goes to one worker, spread over them, and is forgotten when it closes; close() ends the workers', async () => {
    const server = await startServer({ workers: 2 })
    const workers = server.sealWorkers!
    expect(await workers.keysHeld()).toBe(0)
    const clients = await Promise.all(
      (['v1', 'v2', 'v1', 'v2'] as const).map(async (protocol, i) => {
        const c = client(server.url, { protocol, token: await token(`u${i}`) })
        await c.connect()
        return c
      }),
    )
    // The key is posted before the handshake's answer is sent, and the count after it (one port, in order).
    expect(await workers.keysHeld()).toBe(4)
    expect(workers.running).toBe(2)
    clients[0]!.disconnect()
    clients[1]!.disconnect()
    await until(() => server.connections().length === 2)
    // The close posted `forget` before the server dropped the connection.
    expect(await workers.keysHeld()).toBe(2)
    clients[2]!.disconnect()
    clients[3]!.disconnect()
    await until(() => server.connections().length === 0)
    expect(await workers.keysHeld()).toBe(0)
    await server.close({ timeout: 500 })
    expect(workers.running).toBe(0)
    expect(await workers.keysHeld()).toBe(0)
  })

  it('a connection refused before it was ready gives no worker a key', async () => {
    const server = await startServer({ workers: 1 })
    const refused = client(server.url, { token: 'not-a-token', reconnect: { enabled: false } })
    await expect(refused.connect()).rejects.toThrow()
    expect(await server.sealWorkers!.keysHeld()).toBe(0)
  })

  it('never logs a key: the log lines name workers and counts only', async () => {
    const server = await startServer({ workers: 1 })
    const c = client(server.url, { protocol: 'v2', token: await token('ana') })
    await c.connect()
    server.sealWorkers!.crash(0)
    await server.broadcast('m', 1)
    await until(() => server.logger.lines.some((line) => line.includes('seal worker exited')))
    const logged = server.logger.lines.map((line) => JSON.parse(line) as Record<string, unknown>)
    const workerLines = logged.filter(({ message }) => String(message).includes('seal worker'))
    expect(workerLines.length).toBeGreaterThan(0)
    for (const line of workerLines)
      expect(['message', 'worker', 'code', 'pending', 'error']).toEqual(
        expect.arrayContaining(Object.keys(line)),
      )
  })
})
