import { describe, expect, it } from 'vitest'
import { answerOf, resPlaintext } from '../src/delivery/answer'
import { emptyDeliveryCounters } from '../src/delivery/deliveryStats'
import { MemoryKeyStore } from '../src/delivery/idempotencyKeys'
import { MemoryRoomLog } from '../src/delivery/roomLog'
import { Session } from '../src/delivery/session'
import { silentLogger } from '../src/index'

const bytes = (seq: number) => new Uint8Array([seq])

describe('Session', () => {
  it('numbers, keeps what is unacknowledged, drops the oldest beyond its bound, and knows its floor', () => {
    const counters = emptyDeliveryCounters()
    const session = new Session('ana', 3, counters)
    for (let i = 0; i < 5; i++) session.push(bytes)
    expect(session.lastSeq).toBe(5)
    expect(session.floor).toBe(2)
    expect(counters.droppedOverflow).toBe(2)
    expect(session.after(3).map((entry) => entry.seq)).toEqual([4, 5])
    expect(session.after(0).map((entry) => entry.seq)).toEqual([3, 4, 5])
    expect(session.acknowledge(6)).toBe(false)
    expect(session.acknowledge(4)).toBe(true)
    expect(session.after(0).map((entry) => entry.seq)).toEqual([5])
    expect(session.floor).toBe(4)
    expect(session.forget()).toBe(1)
    expect(session.push(bytes)).toBe(false)
  })

  it('holds at most maxBytes unacknowledged (a client that does not read), always keeping the newest', () => {
    const counters = emptyDeliveryCounters()
    const session = new Session('ana', 1000, counters)
    session.maxBytes = 250
    const sized = () => new Uint8Array(100)
    for (let i = 0; i < 3; i++) session.push(sized)
    expect(session.after(0).map((entry) => entry.seq)).toEqual([2, 3])
    expect(counters.droppedOverflow).toBe(1)
    session.push(() => new Uint8Array(1000)) // larger than the bound on its own: kept, the rest dropped
    expect(session.after(0).map((entry) => entry.seq)).toEqual([4])
    expect(counters.droppedOverflow).toBe(3)
    expect(session.acknowledge(4)).toBe(true)
    for (let i = 0; i < 2; i++) session.push(sized) // the bytes acknowledged are free again
    expect(session.after(0).map((entry) => entry.seq)).toEqual([5, 6])
  })

  it('tells the attached owner to flush, and supersedes the previous one', () => {
    const session = new Session('ana', 10, emptyDeliveryCounters())
    const calls: string[] = []
    const owner = (name: string) => ({
      flush: () => calls.push(`${name} flush`),
      supersede: () => calls.push(`${name} superseded`),
    })
    const a = owner('a')
    const b = owner('b')
    session.attach(a)
    session.push(bytes)
    session.attach(b)
    expect(session.detach(a, 1)).toBe(false)
    session.push(bytes)
    expect(session.detach(b, 2)).toBe(true)
    expect(session.endedAt).toBe(2)
    expect(calls).toEqual(['a flush', 'a superseded', 'b flush'])
  })
})

describe('MemoryRoomLog', () => {
  it('keeps the last count entries no older than maxAge, and answers since only when all are held', async () => {
    let clock = 0
    const log = new MemoryRoomLog({ count: 3, maxAge: 100 }, () => clock)
    for (let i = 0; i < 5; i++) await log.append('r', bytes)
    const { epoch } = await log.read('r')
    expect((await log.read('r', { epoch, seq: 2 })).missed!.map((entry) => entry.seq)).toEqual([3, 4, 5])
    expect((await log.read('r', { epoch, seq: 1 })).missed).toBeNull()
    expect((await log.read('r', { epoch, seq: 5 })).missed).toEqual([])
    expect((await log.read('r', { epoch: 'x', seq: 5 })).missed).toBeNull()
    clock = 101
    expect((await log.read('r', { epoch, seq: 4 })).missed).toBeNull()
    expect(log.size).toEqual({ rooms: 1, entries: 0 })
  })

  it('restarts a room with a new epoch once its history is empty and nothing holds it', async () => {
    const log = new MemoryRoomLog({ count: 0, maxAge: 0 }, () => 0)
    await log.append('r', bytes)
    const before = await log.read('r')
    log.sweep(() => true)
    expect(await log.read('r')).toMatchObject({ epoch: before.epoch, seq: 1 })
    log.sweep(() => false)
    const after = await log.read('r')
    expect(after.epoch).not.toBe(before.epoch)
    expect(after.seq).toBe(0)
  })
})

describe('MemoryKeyStore', () => {
  it('hands a repeat the first answer once it settles, and forgets keys a window after their connection ended', async () => {
    let clock = 0
    const keys = new MemoryKeyStore(10, 50, () => clock)
    const holder = { endedAt: null as number | null }
    expect(await keys.claim('ana', 'k', holder)).toEqual({ first: true })
    const repeat = await keys.claim('ana', 'k', holder)
    expect(repeat.first).toBe(false)
    keys.settle('ana', 'k', { dataJson: '1' })
    expect(await (repeat as { answer: Promise<unknown> }).answer).toEqual({ dataJson: '1' })
    expect(await keys.claim('ben', 'k', holder)).toEqual({ first: true })
    holder.endedAt = 10
    clock = 59
    keys.sweep()
    expect(keys.size).toBe(2)
    clock = 60
    keys.sweep()
    expect(keys.size).toBe(0)
  })
})

describe('answers', () => {
  it('writes a res with data, an attachment, or an error', () => {
    const text = (plaintext: Uint8Array) => new TextDecoder().decode(plaintext.subarray(4))
    expect(text(resPlaintext(1, 2, { dataJson: '{"a":1}' }))).toBe(
      '{"t":"res","id":1,"seq":2,"data":{"a":1}}',
    )
    expect(text(resPlaintext(1, 2, {}))).toBe('{"t":"res","id":1,"seq":2}')
    const error = { code: 'NO', message: 'no' }
    expect(text(resPlaintext(1, 2, { error }))).toBe(
      '{"t":"res","id":1,"seq":2,"error":{"code":"NO","message":"no"}}',
    )
    expect(text(resPlaintext(1, 2, { binary: new Uint8Array([7]) }))).toBe(
      '{"t":"res","id":1,"seq":2,"bin":true}\x07',
    )
  })

  it('turns outcomes into answers', () => {
    const answer = (outcome: Parameters<typeof answerOf>[0]) => answerOf(outcome, silentLogger, {})
    expect(answer({ value: new ArrayBuffer(2) })).toEqual({ binary: new Uint8Array(2) })
    expect(answer({ value: () => 1 })).toEqual({})
    expect(answer({ error: 'a string' })).toEqual({
      error: { code: 'HANDLER_FAILED', message: 'The handler failed.' },
    })
    expect(answer({ error: { code: 'MINE' } })).toEqual({ error: { code: 'MINE', message: '' } })
  })
})
