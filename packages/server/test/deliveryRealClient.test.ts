// Issue 17 as a user would meet it: the real client (`@encrypted-socket/core`) and the real server,
// a TCP proxy that cuts the connection at random points, and nothing lost or doubled either way.
import type { EncryptedWebSocketClient } from '@encrypted-socket/core'
import { describe, expect, it } from 'vitest'
import { startFaultProxy } from './faultProxy'
import { range, seededRandom } from './seededRandom'
import { client, onCleanup, startServer, token, until } from './helpers'

const COUNT = 1000
const CUTS = 20

/** The first numbers absent from `numbers` (1…COUNT), for a failure's message. */
const missing = (numbers: number[]) => {
  const seen = new Set(numbers)
  return range(COUNT)
    .filter((n) => !seen.has(n))
    .slice(0, 12)
    .join(',')
}

/** Resolves when the client is authenticated on a connection after `count` authentications. */
function authentications(c: EncryptedWebSocketClient): () => number {
  let count = 0
  c.onLifecycle('authenticated', () => count++)
  return () => count
}

describe('the real client and server under cuts (v2)', () => {
  it(`${COUNT} messages each way, the connection cut at ${CUTS} random points: each processed once and delivered once, in order; every send settled`, async () => {
    const seed = Date.now()
    const next = seededRandom(seed)
    const processed: number[] = []
    const server = await startServer({
      rateLimit: { perSecond: 1_000_000, burst: 1_000_000 },
      onEvent: async (_context, event, data) => {
        if (event !== 'order') return
        if ((data as { i: number }).i % 3 === 0) await new Promise((resolve) => setImmediate(resolve))
        processed.push((data as { i: number }).i)
      },
    })
    const proxy = await startFaultProxy(server.url)
    onCleanup(() => proxy.stop())
    const c = client(proxy.url, {
      protocol: 'v2',
      token: await token('ana'),
      reconnect: { interval: 1, maxInterval: 5, maxRetries: 1000 },
      outbox: { maxSize: 2 * COUNT, maxAge: Infinity },
    })
    const delivered: number[] = []
    const gaps: unknown[] = []
    c.on('fill', (data) => delivered.push((data as { j: number }).j))
    c.onLifecycle('gap', (gap) => gaps.push(gap))
    const authenticated = authentications(c)
    await c.connect()

    const progress = (what: string) => async (condition: () => boolean) =>
      until(condition, 15_000).catch(() => {
        throw new Error(
          `${what}, seed ${seed}: processed ${processed.length}, delivered ${delivered.length}, authenticated ${authenticated()} times, now ${c.getSnapshot().state}; missing ${missing(processed)}; ${JSON.stringify(server.stats())}; ${JSON.stringify(errors.slice(-6))}`,
        )
      })
    const cuts = new Set<number>()
    const errors: string[] = []
    c.onLifecycle('error', (error) =>
      errors.push(`${error.code} ${error.closeCode ?? ''} ${error.message.slice(0, 60)}`),
    )
    while (cuts.size < CUTS) cuts.add(1 + Math.floor(next() * (COUNT - 1)))
    const sends: Promise<void>[] = []
    for (let i = 1; i <= COUNT; i++) {
      sends.push(c.send('order', { i }))
      await server.sendToUser('ana', 'fill', { j: i })
      if (!cuts.has(i)) continue
      // Cut once something of this stretch went through, so that every cut lands mid-stream.
      const before = authenticated()
      await progress('before a cut')(() => processed.length > 0 && delivered.length > 0)
      proxy.cut()
      await progress(`reconnecting after the cut at ${i}`)(() => authenticated() > before)
    }
    const settled = await Promise.allSettled(sends)
    await progress('the end')(() => delivered.length >= COUNT && processed.length >= COUNT)

    const why = `seed ${seed}`
    expect(
      settled.filter((result) => result.status === 'rejected'),
      why,
    ).toEqual([])
    expect(processed, why).toEqual(range(COUNT))
    expect(delivered, why).toEqual(range(COUNT))
    expect(gaps, why).toEqual([])
    // At least one resume per cut (a loaded machine may add its own: a handshake or pong timeout).
    expect(authenticated(), why).toBeGreaterThanOrEqual(CUTS + 1)
    expect(c.getSnapshot().resumed).toBe(true)
    const stats = server.stats()
    // Every reconnect resumed. The server may count one more: a resume it granted just as the
    // proxy cut that connection, before its ready reached the client (which then resumed again).
    expect(stats.resumes, why).toBeGreaterThanOrEqual(authenticated() - 1)
    expect(stats.resumesRefused, why).toBe(0)
  }, 120_000)

  it('a resume after the window: a session gap, the app re-fetches, and the unacknowledged send goes out again with its key', async () => {
    let now = 1_000_000
    const processed: { i: number; key: string | undefined }[] = []
    let holdAcks = () => undefined as void
    const server = await startServer({
      now: () => now,
      resumeWindow: 60_000,
      onEvent: (context, event, data) => {
        if (event === 'state') return { orders: processed.length }
        if (event !== 'order') return undefined
        processed.push({ i: (data as { i: number }).i, key: context.key })
        // The second order is processed, but its acknowledgement never reaches the client.
        if (processed.length === 2) holdAcks()
        return undefined
      },
    })
    const proxy = await startFaultProxy(server.url)
    onCleanup(() => proxy.stop())
    holdAcks = () => proxy.set('stall')
    const c = client(proxy.url, {
      protocol: 'v2',
      token: await token('ana'),
      reconnect: { interval: 600_000, maxInterval: 600_000, maxRetries: 1000 },
    })
    const refetched: unknown[] = []
    c.onLifecycle('gap', (gap) => {
      if (gap.scope === 'session') void c.request('state').then((state) => refetched.push(state))
    })
    await c.connect()
    await c.send('order', { i: 1 })
    const inFlight = c.send('order', { i: 2 })
    await until(() => processed.length === 2)
    proxy.cut()
    proxy.set('none')
    await until(() => server.connections().length === 0 && c.getSnapshot().state === 'reconnecting')
    now += 120_000 // the window passes while the client is away
    await c.reconnect()
    await inFlight
    await until(() => refetched.length === 1)
    expect(c.getSnapshot().resumed).toBe(false)
    // Past the window the server no longer knows the key: the handler sees it again, with the
    // same key, for the application's own idempotency (PROTOCOL-v2.md §6).
    expect(processed.map(({ i }) => i)).toEqual([1, 2, 2])
    expect(processed[2]!.key).toBe(processed[1]!.key)
    expect(refetched).toEqual([{ orders: 3 }])
    expect(server.stats().resumesRefused).toBe(1)
  })

  it('requests with timeouts and aborts against the real server', async () => {
    const server = await startServer({
      onEvent: async (_context, event, data) => {
        if (event === 'quote') return { price: 101.5, of: data }
        if (event === 'slow') return new Promise(() => undefined)
        throw Object.assign(new Error('Top up first'), { code: 'INSUFFICIENT_FUNDS' })
      },
    })
    const c = client(server.url, { protocol: 'v2', token: await token('ana') })
    await c.connect()
    expect(await c.request('quote', { sku: 'A1' })).toEqual({ price: 101.5, of: { sku: 'A1' } })
    await expect(c.request('order.place', {})).rejects.toMatchObject({
      code: 'ERR_REQUEST_FAILED',
      serverCode: 'INSUFFICIENT_FUNDS',
    })
    await expect(c.request('slow', {}, { timeout: 50 })).rejects.toMatchObject({
      code: 'ERR_REQUEST_TIMEOUT',
      sent: true,
    })
    const controller = new AbortController()
    const asking = c.request('slow', {}, { signal: controller.signal })
    controller.abort()
    await expect(asking).rejects.toMatchObject({ code: 'ERR_ABORTED' })
    expect(server.stats().requests).toBeGreaterThanOrEqual(2)
  })
})
