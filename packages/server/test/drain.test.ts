import { describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import type { EventHandler } from '../src/index'
import { client, onCleanup, rawClient, startServer, token, until } from './helpers'
import { startRedis } from './redisServer'

const REDIS_SECRET = 'a-redis-secret-of-at-least-32-bytes!!'
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)

/** Yields to the event loop `turns` times: a handler that takes a while, without a clock. */
async function busy(turns: number): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}

/** Two instances sharing one Redis (v2 sessions in it); `onEvent` is told which instance runs it. */
async function twoInstances(
  onEvent: (instance: 'a' | 'b', ...rest: Parameters<EventHandler>) => Promise<void>,
) {
  const redis = await startRedis()
  onCleanup(() => redis.stop())
  const [a, b] = await Promise.all(
    (['a', 'b'] as const).map((name) =>
      startServer({
        redis: { url: redis.url, secret: REDIS_SECRET, sharedDelivery: true },
        rateLimit: { perSecond: 1_000_000, burst: 1_000_000 },
        onEvent: (...args) => onEvent(name, ...args),
      }),
    ),
  )
  await until(() => a!.redisReady === true && b!.redisReady === true)
  return { a: a!, b: b! }
}

describe('drain()', () => {
  it('hands a v2 client over to another instance: every message processed once, nothing sent to it lost', async () => {
    const processed: { instance: string; n: number }[] = []
    let tenStarted = () => {}
    const tenRunning = new Promise<void>((resolve) => (tenStarted = resolve))
    let releaseTen = () => {}
    const tenReleased = new Promise<void>((resolve) => (releaseTen = resolve))
    const { a, b } = await twoInstances(async (instance, context, _event, data) => {
      const n = data as number
      processed.push({ instance, n })
      if (n === 10) {
        // In flight when the drain starts: the drain waits for it.
        tenStarted()
        await tenReleased
      } else if (n % 3 === 0) await busy(30) // some handlers are slow
      await context.reply('done', n)
    })

    // The test picks the instance the client reaches: A first, B from the drain on.
    let target = a.url
    class ToTarget extends WebSocket {
      constructor(_url: string | URL, protocols?: string | string[]) {
        super(target, protocols)
      }
    }
    const c = client(a.url, {
      protocol: 'v2',
      token: await token('ana'),
      WebSocket: ToTarget,
      reconnect: { interval: 10, jitter: 'none', maxRetries: 100 },
    })
    const done: number[] = []
    const notices: unknown[] = []
    const closes: number[] = []
    c.on('done', (n) => done.push(n as number))
    c.on('notice', (data) => notices.push(data))
    c.onLifecycle('error', (error) => closes.push(error.closeCode ?? 0))
    await c.connect()

    const sent: Promise<void>[] = []
    for (const n of range(1, 30)) sent.push(c.send('work', n))
    await tenRunning
    target = b.url
    const draining = a.drain({ timeout: 15_000 })
    // While A drains: a message to the user from A, and the client keeps sending.
    await a.sendToUser('ana', 'notice', 'from a, while draining')
    for (const n of range(31, 60)) sent.push(c.send('work', n))
    releaseTen()
    await draining
    expect(closes).toEqual([1012])
    expect(a.connections()).toEqual([])
    await Promise.all(sent)
    await until(() => done.length >= 60)

    expect(processed.map(({ n }) => n)).toEqual(range(1, 60))
    expect(done).toEqual(range(1, 60))
    expect(notices).toEqual(['from a, while draining'])
    const onA = processed.filter(({ instance }) => instance === 'a').map(({ n }) => n)
    expect(onA).toEqual(range(1, onA.length))
    expect(onA.length).toBeGreaterThanOrEqual(10)
    expect(processed.at(-1)).toEqual({ instance: 'b', n: 60 })
    expect(b.stats()).toMatchObject({ resumes: 1, resumesRefused: 0, duplicatesRefused: 0 })
  })

  it('closes v1 clients with 1001 once their handlers are done, and refuses upgrades meanwhile (503)', async () => {
    let started = () => {}
    const running = new Promise<void>((resolve) => (started = resolve))
    let release = () => {}
    const released = new Promise<void>((resolve) => (release = resolve))
    const order: string[] = []
    const server = await startServer({
      onEvent: async (context, event) => {
        started()
        await released
        await context.reply(`${event}.done`) // reaches the client only while its socket is open
      },
    })
    const v1 = client(server.url, { token: await token('ana'), reconnect: { enabled: false } })
    v1.on('slow.done', () => order.push('reply'))
    v1.onLifecycle('error', (error) => order.push(`closed ${error.closeCode}`))
    await v1.connect()
    await v1.send('slow')
    await running
    const draining = server.drain()
    await expect(rawClient(server.url).opened).rejects.toThrow('HTTP 503')
    release()
    await draining
    await until(() => order.includes('closed 1001'))
    expect(order).toEqual(['reply', 'closed 1001'])
    // close() after a drain is the same promise, already resolved.
    await server.close()
  })

  it('cuts what is still open at the timeout', async () => {
    let started = () => {}
    const running = new Promise<void>((resolve) => (started = resolve))
    const server = await startServer({
      onEvent: () => {
        started()
        return new Promise(() => {}) // never finishes
      },
    })
    const v2 = client(server.url, {
      protocol: 'v2',
      token: await token('ana'),
      reconnect: { enabled: false },
    })
    const closes: number[] = []
    v2.onLifecycle('error', (error) => closes.push(error.closeCode ?? 0))
    await v2.connect()
    void v2.send('never-finishes').catch(() => undefined)
    await running
    await server.drain({ timeout: 200 })
    await until(() => closes.length === 1)
    expect(closes).toEqual([1012])
    expect(server.connections()).toEqual([])
    expect(server.logger.lines.some((line) => line.includes('"drained":true'))).toBe(true)
  })
})
