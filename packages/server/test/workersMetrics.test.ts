import { describe, expect, it } from 'vitest'
import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import { client, startServer, token, until } from './helpers'
import { useSourceSealWorker } from './sealWorkerBuild'

useSourceSealWorker()

/** The value of `name` (with `labels`) in this server's metrics, or undefined without the family. */
async function metric(
  server: { metrics(): Promise<string> },
  name: string,
  labels: Record<string, string> = {},
) {
  const family = parsePrometheusTextFormat(await server.metrics()).find(
    (f) => f.name === `encrypted_socket_${name}`,
  )
  const sample = family?.metrics.find((m) =>
    Object.entries(labels).every(([key, value]) => m.labels?.[key] === value),
  )
  return sample === undefined ? undefined : Number(sample.value)
}

describe('workers in the metrics', () => {
  it('how many run, how often one was replaced, and where fan-out frames were sealed', async () => {
    const server = await startServer({ workers: 1 })
    const members = await Promise.all(
      (['v1', 'v2'] as const).map(async (protocol, i) => {
        const c = client(server.url, { protocol, token: await token(`metrics-${i}`) })
        let got = 0
        c.on('m', () => got++)
        await c.connect()
        return () => got
      }),
    )
    await server.broadcast('m', 1)
    await until(() => members.every((got) => got() === 1))
    expect(await metric(server, 'seal_workers_running')).toBe(1)
    expect(await metric(server, 'seal_worker_restarts_total')).toBe(0)
    expect(await metric(server, 'seal_frames_total', { where: 'worker' })).toBe(2)
    expect(await metric(server, 'seal_frames_total', { where: 'main' })).toBe(0)

    server.sealWorkers!.crash(0, 'terminate')
    await until(() => server.sealWorkers!.restarts === 1 && server.sealWorkers!.running === 1)
    expect(await metric(server, 'seal_worker_restarts_total')).toBe(1)
    expect(await metric(server, 'seal_workers_running')).toBe(1)
  })

  it('has no seal families without workers', async () => {
    const server = await startServer()
    expect(await metric(server, 'seal_workers_running')).toBeUndefined()
    expect(await metric(server, 'seal_frames_total')).toBeUndefined()
  })
})
