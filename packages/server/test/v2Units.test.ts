import { encodeRecordPlaintext, MAX_RECORDS, serializeMessage } from '@encrypted-socket/core'
import { createSecretKey } from 'node:crypto'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { encodeEnvelope, parseEnvelope, type Envelope } from '../src/fanoutEnvelope'
import { OutgoingMessage } from '../src/outgoing'
import { RateLimiter } from '../src/rateLimiter'
import { roomRefusal } from '../src/rooms'
import { ACK_DELAY_MS, ClientStream } from '../src/v2/clientStream'
import { RecordChannel } from '../src/v2/recordChannel'

const key = () => createSecretKey(crypto.getRandomValues(new Uint8Array(32)))

afterEach(() => {
  vi.useRealTimers()
})

describe('RecordChannel', () => {
  it('seals s2c records 0, 1, 2… and refuses to seal record 2^32', () => {
    const keys = { c2s: key(), s2c: key() }
    const channel = new RecordChannel(keys)
    expect([channel.seal(new Uint8Array(4))!.n, channel.seal(new Uint8Array(4))!.n]).toEqual([0, 1])
    const nearEnd = new RecordChannel(keys, MAX_RECORDS - 1)
    expect(nearEnd.seal(new Uint8Array(4))!.n).toBe(MAX_RECORDS - 1)
    expect(nearEnd.seal(new Uint8Array(4))).toBeNull()
    expect(nearEnd.seal(new Uint8Array(4))).toBeNull()
  })

  it('opens c2s records in order only, and none numbered 2^32 or more', () => {
    const keys = { c2s: key(), s2c: key() }
    // The client's view: its c2s key is our s2c key here, so our sealer makes its records.
    const client = new RecordChannel({ c2s: keys.s2c, s2c: keys.c2s }, MAX_RECORDS - 1)
    const server = new RecordChannel(keys, MAX_RECORDS - 1)
    const last = client.seal(new Uint8Array([1]))!
    expect(server.open(last.bytes)).toEqual(Buffer.from([1]))
    const beyond = new RecordChannel({ c2s: keys.s2c, s2c: keys.c2s }, MAX_RECORDS)
    expect(beyond.seal(new Uint8Array([2]))).toBeNull()
    expect(server.open(last.bytes)).toBeNull() // counter 2^32: refused whatever the bytes
  })
})

describe('ClientStream', () => {
  it('classifies seqs: next, repeat, gap', () => {
    const stream = new ClientStream(() => undefined)
    expect(stream.arrive(1)).toBe('new')
    expect(stream.arrive(1)).toBe('repeat')
    expect(stream.arrive(3)).toBe('gap')
    expect(stream.arrive(2)).toBe('new')
    stream.stop()
  })

  it('coalesces acks: one ack of the last processed seq within ACK_DELAY_MS', () => {
    vi.useFakeTimers()
    const acks: number[] = []
    const stream = new ClientStream((seq) => acks.push(seq))
    for (const seq of [1, 2, 3]) {
      stream.arrive(seq)
      stream.processed(seq)
    }
    vi.advanceTimersByTime(ACK_DELAY_MS - 1)
    expect(acks).toEqual([])
    vi.advanceTimersByTime(1)
    expect(acks).toEqual([3])
    expect(ACK_DELAY_MS).toBeLessThanOrEqual(50)
    stream.repeated()
    vi.advanceTimersByTime(ACK_DELAY_MS)
    expect(acks).toEqual([3, 3])
  })
})

describe('OutgoingMessage', () => {
  it('builds the v1 plaintext byte for byte as v1 did, and the v2 msg record plaintext, from one serialisation', () => {
    const data = { text: 'zürich ✓', n: [1, 2], nothing: null }
    const stringify = vi.spyOn(JSON, 'stringify')
    const message = new OutgoingMessage('order.feed', data)
    const v1 = message.v1Plaintext()!
    const v2 = message.v2Plaintext()
    expect(stringify.mock.calls.filter(([value]) => value === data)).toHaveLength(1)
    stringify.mockRestore()
    expect(Buffer.from(v1)).toEqual(Buffer.from(serializeMessage({ event: 'order.feed', data })))
    expect(Buffer.from(v2)).toEqual(
      Buffer.from(encodeRecordPlaintext(JSON.stringify({ t: 'msg', event: 'order.feed', data }))),
    )
    expect(Buffer.from(new OutgoingMessage('e', undefined).v1Plaintext()!).toString()).toBe('{"event":"e"}')
  })

  it('carries binary data as the attachment in v2 and not at all in v1', () => {
    const bytes = new Uint8Array([9, 8, 7])
    const message = new OutgoingMessage('blob', bytes)
    expect(message.v1Plaintext()).toBeNull()
    expect(Buffer.from(message.v2Plaintext())).toEqual(
      Buffer.from(encodeRecordPlaintext('{"t":"msg","event":"blob","bin":true}', bytes)),
    )
    expect(new OutgoingMessage('blob', bytes.buffer).binary).toEqual(bytes)
  })

  it('refuses data that is not JSON', () => {
    expect(() => new OutgoingMessage('e', { n: 1n })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_PAYLOAD' }),
    )
  })
})

describe('RateLimiter.delayFor', () => {
  it('says when the tokens will be there', () => {
    const limiter = new RateLimiter(10, 2, 0)
    expect(limiter.take(0)).toBe(true)
    expect(limiter.take(0)).toBe(true)
    expect(limiter.delayFor(1, 0)).toBe(100)
    expect(limiter.delayFor(1, 50)).toBe(50)
    expect(limiter.delayFor(1, 100)).toBe(0)
    expect(limiter.delayFor(5, 100)).toBe(100) // over the burst: a full bucket
  })
})

describe('room names', () => {
  it('refuses empty and long names, and a 101st room', () => {
    const rooms = new Set(Array.from({ length: 100 }, (_, i) => `r${i}`))
    expect(roomRefusal(new Set(), '')?.code).toBe('BAD_ROOM')
    expect(roomRefusal(new Set(), 'x'.repeat(129))?.code).toBe('BAD_ROOM')
    expect(roomRefusal(new Set(), 'x'.repeat(128))).toBeNull()
    expect(roomRefusal(rooms, 'new')?.code).toBe('TOO_MANY_ROOMS')
    expect(roomRefusal(rooms, 'r5')).toBeNull()
  })
})

describe('fan-out envelopes', () => {
  it('carry binary data across Redis as base64 and back as bytes', () => {
    const envelope: Envelope = {
      origin: 'o',
      seq: 1,
      time: 2,
      event: 'blob',
      target: { kind: 'all' },
      data: Buffer.from([0, 255, 7]),
    }
    const text = encodeEnvelope(envelope)
    expect(JSON.parse(text)).toMatchObject({ data: 'AP8H', binary: true })
    expect(parseEnvelope(text)).toEqual({ ...envelope, data: Buffer.from([0, 255, 7]) })
    expect(parseEnvelope(text.replace('"binary":true', '"binary":1'))).toBeNull()
    expect(parseEnvelope(encodeEnvelope({ ...envelope, data: 'plain' }))!.data).toBe('plain')
  })
})
