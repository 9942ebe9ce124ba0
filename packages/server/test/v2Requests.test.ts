import { describe, expect, it } from 'vitest'
import type { EventContext, EventHandler } from '../src/eventContext'
import { startServer, token, until } from './helpers'
import { v2Peer, type Received, type V2Peer } from './v2Peer'

async function readyPeer(url: string, user = 'ana') {
  const peer = v2Peer(url)
  const ready = await peer.handshake(await token(user))
  expect(ready).toMatchObject({ t: 'ready' })
  return Object.assign(peer, { ready: ready as Received & { session: string } })
}

async function lose(server: { connections(): unknown[] }, peer: V2Peer): Promise<void> {
  peer.socket.terminate()
  await until(() => server.connections().length === 0)
}

const request = (seq: number, id: number, event: string, data?: unknown, key?: string) => ({
  t: 'msg',
  seq,
  id,
  event,
  data,
  ...(key === undefined ? {} : { key }),
})

/** Throws an error that is not the application's. */
function nodeSystemError(): Error {
  return Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), {
    code: 'ECONNREFUSED',
    errno: -111,
    syscall: 'connect',
  })
}

describe('v2 requests', () => {
  it('answers with res on the session stream: the return value as data, binary, or no data', async () => {
    const handlers: Record<string, EventHandler> = {
      json: (_context, _event, data) => ({ echoed: data }),
      later: async () => [1, 2],
      bytes: () => Buffer.from([9, 8, 7]),
      nothing: () => undefined,
      replying: async (context) => {
        await context.reply('progress', 50)
        return 'done'
      },
    }
    const server = await startServer({
      onEvent: (context, event, data) => handlers[event]!(context, event, data),
    })
    const peer = await readyPeer(server.url)
    await peer.record(request(1, 11, 'json', 'hi'))
    expect(await peer.next()).toEqual({ t: 'res', id: 11, seq: 1, data: { echoed: 'hi' }, binary: false })
    await peer.record(request(2, 12, 'later'))
    expect(await peer.next()).toEqual({ t: 'res', id: 12, seq: 2, data: [1, 2], binary: false })
    await peer.record(request(3, 13, 'bytes'))
    expect(await peer.next()).toEqual({
      t: 'res',
      id: 13,
      seq: 3,
      data: new Uint8Array([9, 8, 7]),
      binary: true,
    })
    await peer.record(request(4, 14, 'nothing'))
    expect(await peer.next()).toEqual({ t: 'res', id: 14, seq: 4, binary: false })
    await peer.record(request(5, 15, 'replying'))
    expect(await peer.next()).toMatchObject({ t: 'msg', seq: 5, event: 'progress', data: 50 })
    expect(await peer.next()).toEqual({ t: 'res', id: 15, seq: 6, data: 'done', binary: false })
    // Every res acknowledged its request: no ack was needed (the next record is the pong).
    await peer.record({ t: 'ping', n: 1 })
    expect(await peer.next()).toEqual({ t: 'pong', n: 1 })
    expect(server.stats()).toMatchObject({ requests: 5, requestsFailed: 0 })
  })

  it("answers a coded error with its code and message, and any other (Node's own included) with HANDLER_FAILED", async () => {
    const handlers: Record<string, () => unknown> = {
      coded: () => {
        throw Object.assign(new Error('Only 2 left.'), { code: 'OUT_OF_STOCK' })
      },
      codedAsync: async () => Promise.reject(Object.assign(new Error('No.'), { code: 'DENIED' })),
      plain: () => {
        throw new Error('secret internal detail at /srv/app/db.ts:42')
      },
      system: () => {
        throw nodeSystemError()
      },
      nodeInternal: () => Buffer.alloc(-1),
      nodeLike: () => {
        throw Object.assign(new Error('Received 4111-1111-1111-1111'), { code: 'ERR_INVALID_ARG_VALUE' })
      },
      notJson: () => ({ big: 1n }),
    }
    const server = await startServer({ onEvent: (_context, event) => handlers[event]!() })
    const peer = await readyPeer(server.url)
    const answers = []
    let seq = 0
    for (const event of Object.keys(handlers)) {
      seq++
      await peer.record(request(seq, seq, event))
      answers.push(await peer.expect('res'))
    }
    const failed = { code: 'HANDLER_FAILED', message: 'The handler failed.' }
    expect(answers.map((answer) => answer!.error)).toEqual([
      { code: 'OUT_OF_STOCK', message: 'Only 2 left.' },
      { code: 'DENIED', message: 'No.' },
      failed,
      failed,
      failed,
      failed,
      failed,
    ])
    const logged = server.logger.lines.join('\n')
    expect(logged).toContain('secret internal detail') // in the server's log, never to the client
    expect(server.stats()).toMatchObject({ requests: 7, requestsFailed: 7 })
  })

  it('tells the handler the request id and the idempotency key', async () => {
    const contexts: EventContext[] = []
    const server = await startServer({ onEvent: (context) => void contexts.push(context) })
    const peer = await readyPeer(server.url)
    await peer.record(request(1, 7, 'e', null, 'key-1'))
    await peer.expect('res')
    await peer.record({ t: 'msg', seq: 2, event: 'e' })
    await peer.expect('ack')
    expect(contexts[0]).toMatchObject({ requestId: 7, key: 'key-1' })
    expect(contexts[1]).not.toHaveProperty('requestId')
    expect(contexts[1]).not.toHaveProperty('key')
  })
})

describe('v2 idempotency keys', () => {
  it('does not process a key again on a new session: a send is acknowledged, a request answered with the original res', async () => {
    let orders = 0
    const server = await startServer({ onEvent: () => ({ order: ++orders }) })
    const first = await readyPeer(server.url)
    await first.record(request(1, 1, 'order.create', { sku: 'a' }, 'k-order'))
    expect(await first.expect('res')).toMatchObject({ id: 1, data: { order: 1 } })
    await first.record({ t: 'msg', seq: 2, event: 'note', key: 'k-note' })
    await first.expect('ack')
    await lose(server, first)
    // Not resumed: the client sends them again as new seqs, with the same keys.
    const second = await readyPeer(server.url)
    await second.record(request(1, 5, 'order.create', { sku: 'a' }, 'k-order'))
    expect(await second.expect('res')).toEqual({ t: 'res', id: 5, seq: 1, data: { order: 1 }, binary: false })
    await second.record({ t: 'msg', seq: 2, event: 'note', key: 'k-note' })
    expect(await second.expect('ack')).toEqual({ t: 'ack', seq: 2 })
    expect(orders).toBe(2) // the order and the note, once each
    // Another user's same key is theirs.
    const ben = await readyPeer(server.url, 'ben')
    await ben.record(request(1, 1, 'order.create', { sku: 'a' }, 'k-order'))
    expect(await ben.expect('res')).toMatchObject({ data: { order: 3 } })
    expect(server.stats()).toMatchObject({ duplicatesRefused: 2, idempotencyKeys: 3 })
  })

  it('answers a repeat of a key whose first processing is still running when it finishes, with its answer', async () => {
    let open = () => {}
    const gate = new Promise<void>((resolve) => (open = resolve))
    let calls = 0
    const server = await startServer({
      onEvent: async () => {
        calls++
        await gate
        return 'charged'
      },
    })
    const first = await readyPeer(server.url)
    await first.record(request(1, 1, 'charge', 10, 'k-charge'))
    await until(() => calls === 1)
    await lose(server, first)
    const second = await readyPeer(server.url)
    await second.record(request(1, 2, 'charge', 10, 'k-charge'))
    await second.record({ t: 'ping', n: 0 })
    await second.expect('pong')
    open()
    expect(await second.expect('res')).toMatchObject({ id: 2, data: 'charged' })
    expect(calls).toBe(1)
  })

  it('forgets keys a resume window after their connection ended, and the oldest beyond idempotencyKeysPerUser', async () => {
    let clock = 1_000_000
    let calls = 0
    const server = await startServer({
      now: () => clock,
      resumeWindow: 10_000,
      idempotencyKeysPerUser: 2,
      onEvent: () => ++calls,
    })
    const first = await readyPeer(server.url)
    for (const [seq, key] of [
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
    ] as const) {
      await first.record(request(seq, seq, 'e', null, key))
      await first.expect('res')
    }
    // 'a' was dropped for 'c' (two per user): it is processed again; 'c' is not.
    await first.record(request(4, 4, 'e', null, 'a'))
    expect(await first.expect('res')).toMatchObject({ data: 4 })
    await first.record(request(5, 5, 'e', null, 'c'))
    expect(await first.expect('res')).toMatchObject({ data: 3 })
    await lose(server, first)
    clock += 10_000
    const second = await readyPeer(server.url)
    await second.record(request(1, 1, 'e', null, 'c'))
    expect(await second.expect('res')).toMatchObject({ data: 5 })
  })
})
