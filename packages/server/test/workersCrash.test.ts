import type { EncryptedWebSocketClient } from '@encrypted-socket/core'
import { describe, expect, it } from 'vitest'
import { client, startServer, token, until } from './helpers'
import { useSourceSealWorker } from './sealWorkerBuild'

useSourceSealWorker()

const PROTOCOLS = ['v1', 'v2', 'v1', 'v2'] as const

/** Real clients (v1 and v2) that collect `m` events; `received(n)` resolves once each has `n`. */
async function members(url: string) {
  return Promise.all(
    PROTOCOLS.map(async (protocol, i) => {
      const c: EncryptedWebSocketClient = client(url, { protocol, token: await token(`u${i}`) })
      const got: number[] = []
      const waiting: { count: number; wake: () => void }[] = []
      c.on('m', (data) => {
        got.push((data as { k: number }).k)
        for (const waiter of waiting.filter(({ count }) => got.length >= count)) waiter.wake()
      })
      await c.connect()
      const received = (count: number) =>
        got.length >= count ? Promise.resolve() : new Promise<void>((wake) => waiting.push({ count, wake }))
      return { got, received }
    }),
  )
}

const exits = (lines: string[]) => lines.filter((line) => line.includes('"seal worker exited"')).length

describe('workers: a worker that dies', () => {
  it.each(['throw', 'terminate'] as const)(
    'dies mid fan-out (%s): what it had not sealed is sealed on the main thread; every client gets every message once, in order; a new worker takes the keys',
    async (how) => {
      const server = await startServer({ workers: 1 })
      const workers = server.sealWorkers!
      const clients = await members(server.url)
      const ids = server.connections().map((connection) => connection.id)
      const ROUNDS = 100
      for (let k = 0; k < ROUNDS; k++) {
        // `throw`: the worker reads the first 50 rounds' jobs, then the crash, and never the rest.
        if (k === 50) workers.crash(0, how)
        if (k % 4 === 0) for (const id of ids) void server.sendTo(id, 'm', { k })
        else void server.broadcast('m', { k })
      }
      await Promise.all(clients.map(({ received }) => received(ROUNDS)))
      const expected = Array.from({ length: ROUNDS }, (_, k) => k)
      for (const { got } of clients) expect(got).toEqual(expected)
      await until(() => exits(server.logger.lines) === 1)
      const fanOuts = 75 * PROTOCOLS.length
      expect(workers.sealedHere + workers.sealedThere).toBe(fanOuts)
      if (how === 'throw')
        expect(workers.sealedHere).toBeGreaterThanOrEqual(fanOuts / 2 - 2 * PROTOCOLS.length)
      // Replaced, with every key: the next fan-out is sealed there.
      expect(workers.running).toBe(1)
      expect(await workers.keysHeld()).toBe(PROTOCOLS.length)
      const before = workers.sealedThere
      await server.broadcast('m', { k: ROUNDS })
      await Promise.all(clients.map(({ received }) => received(ROUNDS + 1)))
      expect(workers.sealedThere).toBe(before + PROTOCOLS.length)
      for (const { got } of clients) expect(got.at(-1)).toBe(ROUNDS)
    },
  )

  it('a worker that keeps dying is not started again: its connections are sealed on the main thread', async () => {
    const server = await startServer({ workers: 1 })
    const workers = server.sealWorkers!
    const clients = await members(server.url)
    for (let crash = 1; crash <= 4; crash++) {
      workers.crash(0)
      await until(() => exits(server.logger.lines) === crash)
    }
    expect(workers.running).toBe(0)
    expect(server.logger.lines.some((line) => line.includes('seal worker not restarted'))).toBe(true)
    for (let k = 0; k < 10; k++) await server.broadcast('m', { k })
    await Promise.all(clients.map(({ received }) => received(10)))
    for (const { got } of clients) expect(got).toEqual(Array.from({ length: 10 }, (_, k) => k))
    expect(workers.sealedHere).toBe(10 * PROTOCOLS.length)
  })
})
