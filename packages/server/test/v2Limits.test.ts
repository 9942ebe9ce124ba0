import type { Socket } from 'node:net'
import { describe, expect, it, vi } from 'vitest'
import type { EventHandler } from '../src/eventContext'
import { startServer, token, until } from './helpers'
import { v2Peer } from './v2Peer'

async function readyPeer(url: string, user = 'ana') {
  const peer = v2Peer(url)
  const ready = await peer.handshake(await token(user))
  expect(ready).toMatchObject({ t: 'ready' })
  return Object.assign(peer, { ready: ready! })
}

const msg = (seq: number, data: unknown, event = 'e') => ({ t: 'msg', seq, event, data })

describe('v2 liveness', () => {
  it('asks for the heartbeat in ready, and closes 4007 a client silent for 3 heartbeats; pings keep one alive', async () => {
    const server = await startServer({ heartbeat: 100 })
    const silent = await readyPeer(server.url, 'silent')
    const pinging = await readyPeer(server.url, 'pinging')
    expect(silent.ready['heartbeat']).toBe(100)
    let n = 0
    const pings = setInterval(() => void pinging.record({ t: 'ping', n: n++ }), 50)
    try {
      expect((await silent.closed).code).toBe(4007)
      expect(pinging.socket.readyState).toBe(pinging.socket.OPEN)
      await until(() => server.connections().length === 1)
      expect(server.connections().map((c) => c.userId)).toEqual(['pinging'])
    } finally {
      clearInterval(pings)
    }
  })
})

describe('v2 under its budgets', () => {
  it('holds back records over the message budget (never drops them), says RATE_LIMITED once, stays open', async () => {
    const onEvent = vi.fn()
    const server = await startServer({ onEvent, rateLimit: { perSecond: 0.001, burst: 5 } })
    const peer = await readyPeer(server.url)
    for (let seq = 1; seq <= 10; seq++) await peer.record(msg(seq, seq))
    expect(await peer.expect('error')).toMatchObject({ code: 'RATE_LIMITED' })
    await until(() => server.drops.rateLimited === 5 && onEvent.mock.calls.length === 5)
    expect(onEvent.mock.calls.map((call) => call[2])).toEqual([1, 2, 3, 4, 5])
    expect(server.connections()).toHaveLength(1)
    expect(peer.socket.readyState).toBe(peer.socket.OPEN)
    expect(peer.textFrames()).toHaveLength(1) // the notice was a record, not a plaintext frame
  })

  it('handles what it held back, in order, as the budget refills', async () => {
    const handled: unknown[] = []
    const server = await startServer({
      rateLimit: { perSecond: 50, burst: 2 },
      onEvent: (_context, _event, data) => void handled.push(data),
    })
    const peer = await readyPeer(server.url)
    for (let seq = 1; seq <= 8; seq++) await peer.record(msg(seq, seq))
    await until(() => handled.length === 8)
    expect(handled).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
    expect(server.drops.rateLimited).toBeGreaterThan(0)
    for (;;) if ((await peer.expect('ack'))!.seq === 8) break
  })

  it('holds back records over the byte budget too', async () => {
    const onEvent = vi.fn()
    const server = await startServer({
      onEvent,
      maxPayload: 16 * 1024,
      byteRateLimit: { perSecond: 0.001, burst: 16 * 1024 },
    })
    const peer = await readyPeer(server.url)
    for (let seq = 1; seq <= 3; seq++) await peer.record(msg(seq, 'x'.repeat(6000)))
    await until(() => server.drops.rateLimited === 1 && onEvent.mock.calls.length === 2)
    expect(server.connections()).toHaveLength(1)
  })

  it('closes with RATE_LIMITED and 1013 a client that sends more than the incoming queue can hold back', async () => {
    const server = await startServer({
      rateLimit: { perSecond: 0.001, burst: 1 },
      incomingQueue: { frames: 4, bytes: 1024 * 1024 },
    })
    const peer = await readyPeer(server.url)
    for (let seq = 1; seq <= 20; seq++) await peer.record(msg(seq, seq))
    expect((await peer.closed).code).toBe(1013)
    const notices = [...peer.skipped, ...(await drain(peer))].filter((m) => m.t === 'error')
    expect(notices.map((m) => m['code'])).toContain('RATE_LIMITED')
  })

  it('closes 1009 after a BAD_MESSAGE record on a message nested deeper than maxDepth, unparsed', async () => {
    const onEvent = vi.fn()
    const server = await startServer({ onEvent, maxDepth: 8 })
    const peer = await readyPeer(server.url)
    const nest = (depth: number): unknown => (depth === 0 ? 'leaf' : [nest(depth - 1)])
    await peer.record(msg(1, nest(8)))
    expect(await peer.expect('ack')).toEqual({ t: 'ack', seq: 1 })
    const parse = vi.spyOn(JSON, 'parse')
    const deep = JSON.stringify(msg(2, nest(9)))
    await peer.record(deep)
    expect(await peer.expect('error')).toMatchObject({ code: 'BAD_MESSAGE' })
    expect((await peer.closed).code).toBe(1009)
    expect(parse.mock.calls.some(([text]) => text === deep)).toBe(false)
    parse.mockRestore()
    expect(onEvent).toHaveBeenCalledTimes(1)
  })

  it('pauses reading while handlers are behind, and loses nothing', async () => {
    let open = () => {}
    const gate = new Promise<void>((resolve) => (open = resolve))
    const handled: number[] = []
    const onEvent: EventHandler = async (_context, _event, data) => {
      await gate
      handled.push(data as number)
    }
    const server = await startServer({ onEvent, incomingQueue: { frames: 4, bytes: 1024 * 1024 } })
    const peer = await readyPeer(server.url)
    for (let seq = 1; seq <= 6; seq++) await peer.record(msg(seq, seq))
    await until(() => server.connections()[0]?.readPaused === true)
    open()
    await until(() => handled.length === 6)
    expect(handled).toEqual([1, 2, 3, 4, 5, 6])
    expect(server.connections()[0]!.readPaused).toBe(false)
    expect(server.drops.rateLimited).toBe(0)
  })

  it('drops broadcasts to a client that does not read before sealing them (the records it gets still open), and closes it with 1013', async () => {
    const server = await startServer({ sendHighWaterMark: 256 * 1024, slowConsumerTimeout: 300 })
    const peer = await readyPeer(server.url)
    ;(peer.socket as unknown as { _socket: Socket })._socket.pause()
    const chunk = 'x'.repeat(64 * 1024)
    const counts = await Promise.all(Array.from({ length: 200 }, () => server.broadcast('bulk', chunk)))
    const written = counts.reduce((sum, count) => sum + count, 0)
    expect(written).toBeLessThan(200)
    expect(server.drops.slowConsumer).toBe(200 - written)
    // A dropped message was never sealed: every record written is in counter order, and opens.
    ;(peer.socket as unknown as { _socket: Socket })._socket.resume()
    const received = await drain(peer)
    expect(received.filter((m) => m.t === 'msg')).toHaveLength(written)
    expect((await peer.closed).code).toBe(1013)
  })

  it('takes no reading client for a slow consumer when a burst of broadcasts passes sendHighWaterMark in one turn', async () => {
    const server = await startServer({ sendHighWaterMark: 4096 })
    const peer = await readyPeer(server.url)
    const counts = await Promise.all(
      Array.from({ length: 20 }, (_, i) => server.broadcast('wave', `${i % 10}`.repeat(500))),
    )
    expect(counts.reduce((sum, count) => sum + count, 0)).toBe(20)
    expect(server.drops.slowConsumer).toBe(0)
    for (let i = 0; i < 20; i++) expect(await peer.expect('msg')).toMatchObject({ event: 'wave' })
  })

  it('writes a burst of session-stream messages past a small sendHighWaterMark to a client that reads (records held by a cork count as unread)', async () => {
    const server = await startServer({ sendHighWaterMark: 1024 })
    const peer = await readyPeer(server.url)
    const [info] = server.connections()
    const sent = await Promise.all(
      Array.from({ length: 12 }, (_, i) => server.sendTo(info!.id, 'small', `${i}`.repeat(300))),
    )
    expect(sent.every(Boolean)).toBe(true)
    const seqs: number[] = []
    while (seqs.length < 12) seqs.push((await peer.expect('msg'))!.seq as number)
    expect(seqs).toEqual(Array.from({ length: 12 }, (_, i) => i + 1))
  })

  it('holds session-stream messages to a client that does not read (never drops them) and writes them, in order, once it reads', async () => {
    const server = await startServer({ sendHighWaterMark: 256 * 1024 })
    const peer = await readyPeer(server.url)
    ;(peer.socket as unknown as { _socket: Socket })._socket.pause()
    const [info] = server.connections()
    const chunk = 'x'.repeat(64 * 1024)
    const behind = () => server.connections()[0]!.bufferedAmount > 256 * 1024
    let sent = 0
    while (!behind() && sent < 900) {
      expect(await server.sendTo(info!.id, 'bulk', chunk)).toBe(true)
      sent++
    }
    expect(behind()).toBe(true)
    // Over the high-water mark: these wait on the session stream, unwritten.
    for (let i = 0; i < 20; i++) expect(await server.sendTo(info!.id, 'more', i)).toBe(true)
    sent += 20
    expect(server.stats().unacknowledged).toBe(sent)
    ;(peer.socket as unknown as { _socket: Socket })._socket.resume()
    const seqs: number[] = []
    while (seqs.length < sent) seqs.push((await peer.expect('msg'))!.seq as number)
    expect(seqs).toEqual(Array.from({ length: sent }, (_, i) => i + 1))
    expect(server.drops.slowConsumer).toBe(0)
  })
})

/** Every record left until the close. */
async function drain(peer: ReturnType<typeof v2Peer>) {
  const messages = []
  for (let next = await peer.next(); next !== null; next = await peer.next()) messages.push(next)
  return messages
}
