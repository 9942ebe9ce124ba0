// v2 delivery (PROTOCOL-v2.md §4, §6) from the client's side, against a real `ws` peer that keeps
// sessions: acknowledged sends, requests, per-send limits, resume and gaps.
import WebSocket from 'ws'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { EncryptedWebSocketClient } from '../../src/client/encryptedWebSocketClient'
import { isEncryptedSocketError } from '../../src/errors'
import type { ClientOptions, LifecycleEvents } from '../../src/types'
import { ECDH_INFO, collect, onCleanup, reachState, recordingLogger, TOKEN, until } from '../helpers'
import { startV2Peer, type V2PeerConnection, type V2PeerOptions } from '../v2Peer'

async function peer(options: Partial<V2PeerOptions> = {}) {
  const started = await startV2Peer({ ecdhInfo: ECDH_INFO, ...options })
  onCleanup(() => started.stop())
  return started
}

function client(url: string, options: Partial<ClientOptions> = {}) {
  const created = new EncryptedWebSocketClient({
    url,
    ecdhInfo: ECDH_INFO,
    token: TOKEN,
    WebSocket,
    logger: recordingLogger(),
    protocol: 'v2',
    reconnect: { interval: 1, maxInterval: 1, maxRetries: 100 },
    ...options,
  })
  onCleanup(() => created.destroy())
  return created
}

const msgs = (connection: V2PeerConnection) => connection.received.filter((message) => message.t === 'msg')
const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: unknown) => error,
  )
const gaps = (c: EncryptedWebSocketClient) => {
  const seen: LifecycleEvents['gap'][] = []
  c.onLifecycle('gap', (gap) => seen.push(gap))
  return seen
}

afterEach(() => vi.restoreAllMocks())

describe('v2 sends are acknowledged', () => {
  it('send() resolves on the ack, not on the write; every msg carries seq and a key', async () => {
    const server = await peer({ acknowledge: false })
    const c = client(server.url)
    await c.connect()
    let settled = false
    const sending = c.send('order.create', { sku: 'A1' }).then(() => (settled = true))
    const connection = await server.connection(1)
    await until(() => msgs(connection).length === 1)
    expect(settled).toBe(false)
    expect(msgs(connection)[0]).toMatchObject({ seq: 1, key: expect.stringMatching(/^[\w+/]{16}$/) })
    await connection.send({ t: 'ack', seq: 1 })
    await sending
    expect(settled).toBe(true)
  })

  it('an ack beyond what was sent is a violation (4001)', async () => {
    const server = await peer()
    const c = client(server.url)
    await c.connect()
    const connection = await server.connection(1)
    const closed = new Promise<number>((resolve) => connection.socket.once('close', resolve))
    await connection.send({ t: 'ack', seq: 5 })
    expect(await closed).toBe(4001)
  })

  it('timeout: a send never acknowledged rejects with ERR_SEND_TIMEOUT saying it went out', async () => {
    const server = await peer({ acknowledge: false })
    const c = client(server.url)
    await c.connect()
    const error = await rejection(c.send('order.create', { sku: 'A1' }, { timeout: 50 }))
    expect(isEncryptedSocketError(error, 'ERR_SEND_TIMEOUT')).toBe(true)
    expect(error).toMatchObject({ sent: true })
  })

  it('timeout before it went out: withdrawn, never written', async () => {
    const server = await peer({ silent: () => true })
    const c = client(server.url, { handshakeTimeout: 60_000 })
    void c.connect().catch(() => undefined)
    const error = await rejection(c.send('order.create', { sku: 'A1' }, { timeout: 20 }))
    expect(error).toMatchObject({ code: 'ERR_SEND_TIMEOUT', sent: false })
    expect(c.getSnapshot().state).not.toBe('authenticated')
  })

  it('an aborted signal withdraws a send that has not gone out', async () => {
    const server = await peer()
    const c = client(server.url)
    const controller = new AbortController()
    const connecting = c.connect()
    const sending = rejection(c.send('order.create', { sku: 'A1' }, { signal: controller.signal }))
    controller.abort()
    expect(await sending).toMatchObject({ code: 'ERR_ABORTED', sent: false })
    await connecting
    await c.send('order.cancel', { sku: 'A1' })
    expect(msgs(await server.connection(1)).map((message) => message.event)).toEqual(['order.cancel'])
  })

  it('maxAge: a send older than its maxAge when the connection comes is refused, not written', async () => {
    const server = await peer()
    const c = client(server.url, { outbox: { maxAge: 60_000 } })
    const now = Date.now()
    const connecting = c.connect()
    const stale = rejection(c.send('order.create', { sku: 'A1' }))
    const fresh = c.send('order.create', { sku: 'B2' }, { maxAge: Infinity })
    vi.spyOn(Date, 'now').mockReturnValue(now + 61_000)
    await connecting
    expect(await stale).toMatchObject({ code: 'ERR_SEND_EXPIRED' })
    await fresh
    expect(msgs(await server.connection(1)).map((message) => message.data)).toEqual([{ sku: 'B2' }])
  })
})

describe('v2 requests', () => {
  it('resolves with the answer; a refusal is ERR_REQUEST_FAILED with the server code', async () => {
    const server = await peer({
      onRequest: (event, data) =>
        event === 'quote'
          ? { data: { price: 101.5, of: data } }
          : { error: { code: 'INSUFFICIENT_FUNDS', message: 'Top up first' } },
    })
    const c = client(server.url)
    await c.connect()
    expect(await c.request('quote', { sku: 'A1' })).toEqual({ price: 101.5, of: { sku: 'A1' } })
    const error = await rejection(c.request('order.create', { sku: 'A1' }))
    expect(error).toMatchObject({ code: 'ERR_REQUEST_FAILED', serverCode: 'INSUFFICIENT_FUNDS' })
    expect((error as Error).message).toContain('Top up first')
    const ids = msgs(await server.connection(1)).map((message) => message.id)
    expect(ids).toEqual([1, 2])
  })

  it('a request without an answer rejects with ERR_REQUEST_TIMEOUT; an abort with ERR_ABORTED', async () => {
    const server = await peer({ onRequest: () => 'hang' })
    const c = client(server.url)
    await c.connect()
    expect(await rejection(c.request('quote', {}, { timeout: 30 }))).toMatchObject({
      code: 'ERR_REQUEST_TIMEOUT',
      sent: true,
    })
    const controller = new AbortController()
    const asking = rejection(c.request('quote', {}, { signal: controller.signal }))
    await until(() => msgs(server.connections[0]!).length === 2)
    controller.abort()
    expect(await asking).toMatchObject({ code: 'ERR_ABORTED', sent: true })
  })

  it('a client pinned to v1 refuses request() at once', async () => {
    const server = await peer()
    const c = client(server.url, { protocol: 'v1' })
    expect(await rejection(c.request('quote', {}))).toMatchObject({ code: 'ERR_PROTOCOL_VERSION' })
  })
})

describe('v2 session resume', () => {
  it('a dropped connection resumes: the missed session messages are replayed once, in order, no gap', async () => {
    const server = await peer()
    const c = client(server.url)
    const fills = collect<{ n: number }>(c, 'fill')
    const seen = gaps(c)
    await c.connect()
    const first = await server.connection(1)
    for (const n of [1, 2, 3]) await first.push({ t: 'msg', event: 'fill', data: { n } })
    await until(() => fills.length === 3 && first.session!.acked === 3)
    // 4 and 5 are sent while the connection is already gone: only a replay can bring them.
    first.socket.terminate()
    for (const n of [4, 5])
      first.session!.stream.push({ message: { t: 'msg', event: 'fill', data: { n }, seq: n } })
    await until(() => server.connections.length === 2 && c.getSnapshot().state === 'authenticated')
    await until(() => fills.length === 5)
    expect(fills.map((fill) => fill.n)).toEqual([1, 2, 3, 4, 5])
    expect(c.getSnapshot().resumed).toBe(true)
    expect(seen).toEqual([])
    const auth = server.connections[1]!.received[0]
    expect(auth).toMatchObject({ t: 'auth', resume: { session: 's0', seq: 3 } })
  })

  it('sends in flight when the connection dropped: those processed are acknowledged by ready, the rest go out again with the same seqs', async () => {
    const server = await peer({ acknowledge: false })
    const c = client(server.url)
    await c.connect()
    const first = await server.connection(1)
    const sends = [1, 2, 3].map((n) => c.send('order', { n }))
    await until(() => msgs(first).length === 3)
    first.socket.terminate()
    // As if 2 and 3 were lost on the way: the server processed only 1.
    server.sessions.get('s0')!.processed = 1
    await until(() => server.connections.length === 2)
    const second = server.connections[1]!
    await sends[0]
    await until(() => msgs(second).length === 2)
    expect(msgs(second).map((message) => [message.seq, message.key])).toEqual(
      msgs(first)
        .slice(1)
        .map((message) => [message.seq, message.key]),
    )
    await second.send({ t: 'ack', seq: 3 })
    await Promise.all(sends)
    expect(server.sessions.get('s0')!.processed).toBe(3)
  })

  it('a session that cannot be resumed: a session gap, unacknowledged sends re-sent as new seqs with the same keys', async () => {
    const server = await peer({ resumable: false, acknowledge: false })
    const c = client(server.url)
    const seen = gaps(c)
    await c.connect()
    const first = await server.connection(1)
    const sending = c.send('order', { n: 1 })
    await until(() => msgs(first).length === 1)
    first.socket.terminate()
    await until(() => server.connections.length === 2 && msgs(server.connections[1]!).length === 1)
    const [before, after] = [msgs(first)[0]!, msgs(server.connections[1]!)[0]!]
    expect(after).toMatchObject({ seq: 1, key: before.key, data: { n: 1 } })
    expect(seen).toEqual([{ scope: 'session' }])
    expect(c.getSnapshot().resumed).toBe(false)
    await server.connections[1]!.send({ t: 'ack', seq: 1 })
    await sending
  })

  it('a request answered while the connection was gone gets its answer from the replay', async () => {
    const server = await peer({ onRequest: () => 'hang' })
    const c = client(server.url)
    await c.connect()
    const first = await server.connection(1)
    const asking = c.request('quote', { sku: 'A1' })
    await until(() => msgs(first).length === 1)
    first.socket.terminate()
    first.session!.stream.push({ message: { t: 'res', id: 1, seq: 1, data: { price: 7 } } })
    expect(await asking).toEqual({ price: 7 })
    await reachState(c, 'authenticated')
    expect(c.getSnapshot().resumed).toBe(true)
  })
})
