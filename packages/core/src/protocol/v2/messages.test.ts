import { describe, expect, it } from 'vitest'
import { msgJson, readMessage } from './messages'
import { encodeRecordPlaintext } from './record'

const record = (message: unknown, attachment?: Uint8Array) =>
  encodeRecordPlaintext(typeof message === 'string' ? message : JSON.stringify(message), attachment)

describe('readMessage', () => {
  it.each([
    ['not JSON', record('{"t":'), 'server'],
    ['not an object', record([1]), 'server'],
    ['no string t', record({ t: 1 }), 'server'],
    ['a field of the wrong type', record({ t: 'pong', n: '1' }), 'server'],
    ['a required field missing', record({ t: 'joined', room: 'a', seq: 0 }), 'server'],
    ['a client message from the server', record({ t: 'ping', n: 1 }), 'server'],
    ['a server message from the client', record({ t: 'ready' }), 'client'],
    ['bin together with data', record({ t: 'msg', event: 'e', bin: true, data: 1 }, new Uint8Array(1)), 'server'],
    ['attachment bytes without bin', record({ t: 'msg', event: 'e' }, new Uint8Array(1)), 'server'],
    ['a JSON length past the record', new Uint8Array([0, 0, 0, 9, 123, 125]), 'server'],
    ['an idempotency key over 64 characters', record({ t: 'msg', event: 'e', seq: 1, key: 'k'.repeat(65) }), 'client'],
    ['a seq of 0', record({ t: 'msg', event: 'e', seq: 0 }), 'client'],
  ] as const)('refuses %s as a violation', (_name, plaintext, from) => {
    expect(readMessage(plaintext as Uint8Array<ArrayBuffer>, from).type).toBe('violation')
  })

  it('ignores an unknown t (forward compatibility), even one named like an Object property', () => {
    expect(readMessage(record({ t: 'future', x: 1 }), 'server')).toEqual({ type: 'unknown' })
    expect(readMessage(record({ t: 'constructor' }), 'server')).toEqual({ type: 'unknown' })
  })

  it('reads bin:true as the attachment and bin:false as no attachment', () => {
    const bytes = new Uint8Array([7, 8])
    expect(readMessage(record({ t: 'msg', event: 'e', bin: true }, bytes), 'server')).toEqual({
      type: 'message',
      message: { t: 'msg', event: 'e', binary: true, data: bytes },
    })
    expect(readMessage(record({ t: 'msg', event: 'e', bin: false, data: 1 }), 'server')).toEqual({
      type: 'message',
      message: { t: 'msg', event: 'e', binary: false, data: 1 },
    })
  })

  it('msgJson writes the fields around data serialised already', () => {
    expect(msgJson({ t: 'msg', seq: 3 }, 'order', '{"a":1}', false)).toBe('{"t":"msg","seq":3,"event":"order","data":{"a":1}}')
    expect(msgJson({ t: 'msg', seq: 4 }, 'blob', undefined, true)).toBe('{"t":"msg","seq":4,"event":"blob","bin":true}')
    expect(msgJson({ t: 'msg', seq: 5 }, 'none', undefined, false)).toBe('{"t":"msg","seq":5,"event":"none"}')
  })
})
