import { MAX_RECORDS } from '@encrypted-socket/core'
import { describe, expect, it, vi } from 'vitest'
import { startServer, token, until } from './helpers'
import { v2Peer } from './v2Peer'

/** A ready v2 peer and its server. */
async function ready(
  options: Parameters<typeof startServer>[0] = {},
  peerOptions: Parameters<typeof v2Peer>[1] = {},
) {
  const onEvent = vi.fn()
  const server = await startServer({ onEvent, ...options })
  const peer = v2Peer(server.url, peerOptions)
  expect(await peer.handshake(await token('ana'))).toMatchObject({ t: 'ready' })
  return { server, peer, onEvent }
}

describe('v2 records after ready', () => {
  it('closes 4001 on a tampered record, and counts it', async () => {
    const { server, peer, onEvent } = await ready()
    const record = await peer.record({ t: 'msg', seq: 1, event: 'e', data: 1 }, undefined, { send: false })
    record[record.length - 1]! ^= 1
    peer.socket.send(record, { binary: true })
    expect((await peer.closed).code).toBe(4001)
    expect(server.drops.undecryptable).toBe(1)
    expect(onEvent).not.toHaveBeenCalled()
  })

  it('closes 4001 on a truncated record', async () => {
    const { peer } = await ready()
    const record = await peer.record({ t: 'ping', n: 1 }, undefined, { send: false })
    peer.socket.send(record.subarray(0, record.length - 1), { binary: true })
    expect((await peer.closed).code).toBe(4001)
  })

  it('closes 4001 on a replayed record', async () => {
    const { peer, onEvent } = await ready()
    const record = await peer.record({ t: 'msg', seq: 1, event: 'e', data: 1 })
    expect(await peer.expect('ack')).toEqual({ t: 'ack', seq: 1 })
    peer.socket.send(record, { binary: true })
    expect((await peer.closed).code).toBe(4001)
    expect(onEvent).toHaveBeenCalledTimes(1)
  })

  it('closes 4001 on reordered records, and processes neither', async () => {
    const { peer, onEvent } = await ready()
    const first = await peer.record({ t: 'msg', seq: 1, event: 'e', data: 1 }, undefined, { send: false })
    const second = await peer.record({ t: 'msg', seq: 2, event: 'e', data: 2 }, undefined, { send: false })
    peer.socket.send(second, { binary: true })
    peer.socket.send(first, { binary: true })
    expect((await peer.closed).code).toBe(4001)
    expect(onEvent).not.toHaveBeenCalled()
  })

  it("closes 4001 on a reflected record (the server's own, sent back)", async () => {
    const { peer } = await ready()
    const ready0 = peer.frames.find((frame) => typeof frame !== 'string')! as Buffer
    peer.socket.send(ready0, { binary: true })
    expect((await peer.closed).code).toBe(4001)
  })

  it('closes 4001 on a text frame after the handshake', async () => {
    const { peer } = await ready()
    peer.socket.send('{"t":"ping","n":1}')
    expect((await peer.closed).code).toBe(4001)
  })

  it('closes 4001 on a message that is not one: not an object, J past the record, attachment without bin', async () => {
    for (const [json, attachment] of [
      ['[1,2]', undefined],
      ['{"n":1}', undefined],
      ['{"t":"ping","n":1}', new Uint8Array([1])],
      ['{"t":"msg","seq":1,"event":"e","data":1,"bin":true}', new Uint8Array([1])],
    ] as const) {
      const { peer } = await ready()
      await peer.record(json, attachment)
      expect((await peer.closed).code, json).toBe(4001)
    }
    const { peer } = await ready()
    await peer.sealPlaintext(new Uint8Array([0, 0, 0, 50, 0x7b, 0x7d])) // J = 50, 2 bytes follow
    expect((await peer.closed).code).toBe(4001)
  })

  it('closes 4003 before sending record 2^32, and 4001 on a client record numbered 2^32', async () => {
    const start = MAX_RECORDS - 1
    const sender = await ready({ initialRecordCounter: start }, { start })
    // ready was s2c #(2^32 - 1): the next server record would be #2^32.
    const [info] = sender.server.connections()
    // Taken on the session stream (kept for a resume), but the record cannot be sealed here.
    expect(await sender.server.sendTo(info!.id, 'one.too.many', 1)).toBe(true)
    expect((await sender.peer.closed).code).toBe(4003)
    expect(await sender.peer.next()).toBeNull()

    const receiver = await ready({ initialRecordCounter: start - 1 }, { start: start - 1 })
    await receiver.peer.record({ t: 'ping', n: 1 }) // c2s #(2^32 - 1): fine
    expect(await receiver.peer.expect('pong')).toEqual({ t: 'pong', n: 1 })
    await receiver.peer.record({ t: 'ping', n: 2 }) // c2s #2^32: beyond the limit
    expect((await receiver.peer.closed).code).toBe(4001)
  })

  it('writes records in counter order even when a hook sends to a connection in the middle of a fan-out', async () => {
    let reenter: (() => void) | null = null
    const server = await startServer({
      onFrame: ({ direction, binary }) => {
        if (direction !== 'out' || !binary || !reenter) return
        const send = reenter
        reenter = null
        send() // while the broadcast still holds the second connection's sealed record
      },
    })
    const first = v2Peer(server.url)
    await first.handshake(await token('ana'))
    const second = v2Peer(server.url)
    await second.handshake(await token('ben'))
    const ids = server.connections().map((c) => c.id)
    reenter = () => void server.sendTo(ids[1]!, 'reentrant', 1)
    expect(await server.broadcast('broadcast', 0)).toBe(2)
    expect((await second.expect('msg'))!.event).toBe('broadcast')
    expect((await second.expect('msg'))!.event).toBe('reentrant')
    expect((await first.expect('msg'))!.event).toBe('broadcast')
  })

  it('closes 1009 on a record over maxPayload', async () => {
    const { peer } = await ready({ maxPayload: 64 * 1024 })
    await peer.record({ t: 'msg', seq: 1, event: 'e', data: 'x'.repeat(64 * 1024) })
    expect((await peer.closed).code).toBe(1009)
  })
})
