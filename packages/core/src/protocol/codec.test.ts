import { describe, expect, it } from 'vitest'
import { encodeFrame, parseFrame, type Frame } from './codec'

const b64 = (bytes: number[] | Uint8Array) => Buffer.from(Uint8Array.from(bytes)).toString('base64')
const IV = b64(new Array(12).fill(7))
const CT = b64(new Array(16).fill(9))
const KEY = b64([4, ...new Array(64).fill(1)])
const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2VjcmV0LXNpZ25hdHVyZQ'

describe('parseFrame: malformed frames are reported, never thrown', () => {
  it.each<[string, unknown]>([
    ['a binary frame', new ArrayBuffer(4)],
    ['a Blob-like object', { size: 3 }],
    ['an empty string', ''],
    ['invalid JSON', '{"event":'],
    ['a JSON string', '"encrypted"'],
    ['a JSON number', '42'],
    ['JSON null', 'null'],
    ['a JSON array', '[{"event":"x"}]'],
    ['an object without event', '{"data":{}}'],
    ['a numeric event', '{"event":7}'],
    ['a null event', '{"event":null}'],
    ['an event inherited through __proto__', '{"__proto__":{"event":"x"}}'],
    ['encrypted without data', '{"event":"encrypted"}'],
    ['encrypted with array data', '{"event":"encrypted","data":[]}'],
    ['encrypted without iv', `{"event":"encrypted","data":{"ct":"${CT}"}}`],
    ['encrypted with a numeric iv', `{"event":"encrypted","data":{"iv":12,"ct":"${CT}"}}`],
    [
      'encrypted with a 16-byte iv',
      `{"event":"encrypted","data":{"iv":"${b64(new Array(16).fill(1))}","ct":"${CT}"}}`,
    ],
    [
      'encrypted with an 11-byte iv',
      `{"event":"encrypted","data":{"iv":"${b64(new Array(11).fill(1))}","ct":"${CT}"}}`,
    ],
    [
      'encrypted with whitespace in the iv',
      `{"event":"encrypted","data":{"iv":"${IV.slice(0, 8)} ${IV.slice(8)}","ct":"${CT}"}}`,
    ],
    [
      'encrypted with non-zero bits after the padding',
      `{"event":"encrypted","data":{"iv":"AAECAwQFBgcICQp=","ct":"${CT}"}}`,
    ],
    ['encrypted with URL-safe base64', `{"event":"encrypted","data":{"iv":"${IV}","ct":"-_-_"}}`],
    ['encrypted without ct', `{"event":"encrypted","data":{"iv":"${IV}"}}`],
    [
      'encrypted with a ct shorter than the tag',
      `{"event":"encrypted","data":{"iv":"${IV}","ct":"${b64([1, 2, 3])}"}}`,
    ],
    ['connected without data', '{"event":"connected"}'],
    ['connected without id', '{"event":"connected","data":{"userId":"u"}}'],
    ['connected with a numeric userId', '{"event":"connected","data":{"id":"c","userId":5}}'],
    ['connected with a numeric time', '{"event":"connected","data":{"id":"c","userId":"u","time":5}}'],
    [
      'connected with a non-base64 key',
      '{"event":"connected","data":{"id":"c","userId":"u","serverPublicKey":"%%%%","salt":""}}',
    ],
    [
      'connected with a numeric salt',
      `{"event":"connected","data":{"id":"c","userId":"u","serverPublicKey":"${KEY}","salt":1}}`,
    ],
    ['error without message', '{"event":"error","data":{"code":1}}'],
    ['error with an object code', '{"event":"error","data":{"message":"m","code":{}}}'],
    ['join without rooms', '{"event":"join","data":{}}'],
    ['leave with non-string rooms', '{"event":"leave","data":{"rooms":["a",1]}}'],
    [
      'authenticate with another type',
      `{"event":"authenticate","data":{"type":"Basic","token":"t","clientPublicKey":"${KEY}"}}`,
    ],
    [
      'authenticate without a token',
      `{"event":"authenticate","data":{"type":"Bearer","clientPublicKey":"${KEY}"}}`,
    ],
    [
      'authenticate with a bad key',
      '{"event":"authenticate","data":{"type":"Bearer","token":"t","clientPublicKey":"!"}}',
    ],
  ])('%s', (_name, message) => {
    const frame = parseFrame(message)
    expect(frame.type).toBe('malformed')
    expect(frame).toHaveProperty('reason', expect.any(String))
  })

  it('names the event of a malformed control frame, so a bad `connected` can fail the attempt', () => {
    expect(parseFrame('{"event":"connected","data":{"id":1}}')).toMatchObject({
      type: 'malformed',
      event: 'connected',
    })
  })

  it('never puts the frame content in the reason (it may hold a token)', () => {
    const frames = [
      `{"event":"authenticate","data":{"type":"Bearer","token":"${TOKEN}","clientPublicKey":"!"}}`,
      `{"event":"authenticate","data":{"type":"${TOKEN}","token":"${TOKEN}"}}`,
      `{"event":"connected","data":{"id":"${TOKEN}","userId":7}}`,
      `{"event":"${TOKEN}`,
    ]
    for (const text of frames) {
      const frame = parseFrame(text)
      expect(frame.type).toBe('malformed')
      expect(JSON.stringify(frame)).not.toContain(TOKEN.slice(0, 20))
    }
  })
})

describe('parseFrame: valid frames', () => {
  it('decodes an encrypted frame into IV and ciphertext bytes', () => {
    const frame = parseFrame(`{"event":"encrypted","data":{"iv":"${IV}","ct":"${CT}"}}`)
    expect(frame).toEqual({
      type: 'encrypted',
      iv: new Uint8Array(12).fill(7),
      ct: new Uint8Array(16).fill(9),
    })
  })

  it('decodes connected with keys, and without them (a server that does not encrypt)', () => {
    const withKeys = parseFrame(
      `{"event":"connected","data":{"id":"c1","userId":"u1","time":"2026-01-01T00:00:00Z","serverPublicKey":"${KEY}","salt":""}}`,
    )
    expect(withKeys).toMatchObject({
      type: 'connected',
      id: 'c1',
      userId: 'u1',
      time: '2026-01-01T00:00:00Z',
    })
    expect(withKeys.type === 'connected' && withKeys.salt).toEqual(new Uint8Array(0))
    expect(withKeys.type === 'connected' && withKeys.serverPublicKey?.length).toBe(65)
    expect(parseFrame('{"event":"connected","data":{"id":"c1","userId":"u1"}}')).toEqual({
      type: 'connected',
      id: 'c1',
      userId: 'u1',
    })
  })

  it('decodes error, heartbeat, join and leave', () => {
    expect(parseFrame('{"event":"error","data":{"code":401,"message":"bad token"}}')).toEqual({
      type: 'error',
      code: 401,
      message: 'bad token',
    })
    expect(parseFrame('{"event":"error","data":{"message":"m"}}')).toEqual({ type: 'error', message: 'm' })
    expect(parseFrame('{"event":"heartbeat"}')).toEqual({ type: 'heartbeat' })
    expect(parseFrame('{"event":"join","data":{"rooms":["a","b"]}}')).toEqual({
      type: 'join',
      rooms: ['a', 'b'],
    })
    expect(parseFrame('{"event":"leave","data":{"rooms":[]}}')).toEqual({ type: 'leave', rooms: [] })
  })

  it('reports an application event in plaintext as such (the client decides to drop it)', () => {
    expect(parseFrame('{"event":"order.created","data":{"id":1}}')).toEqual({
      type: 'plaintext',
      event: 'order.created',
      data: { id: 1 },
    })
  })

  it('does not pollute prototypes with __proto__ or constructor keys', () => {
    const frames = [
      '{"event":"x","__proto__":{"polluted":1},"data":{"__proto__":{"polluted":1}}}',
      '{"event":"join","data":{"rooms":["a"],"__proto__":{"polluted":1}}}',
      '{"event":"__proto__","data":{"constructor":{"prototype":{"polluted":1}}}}',
      '{"event":"constructor","data":{"__proto__":{"polluted":1}}}',
    ]
    for (const text of frames) parseFrame(text)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(parseFrame(frames[2])).toMatchObject({ type: 'plaintext', event: '__proto__' })
  })
})

describe('encodeFrame', () => {
  const key = new Uint8Array(65).fill(4)
  const frames: Frame[] = [
    { type: 'authenticate', token: 't.o.k', clientPublicKey: key },
    {
      type: 'connected',
      id: 'c',
      userId: 'u',
      time: 't',
      serverPublicKey: key,
      salt: new Uint8Array(32).fill(3),
    },
    { type: 'connected', id: 'c', userId: 'u', serverPublicKey: key, salt: new Uint8Array(0) },
    { type: 'error', message: 'm', code: 'E' },
    { type: 'error', message: 'm' },
    { type: 'heartbeat' },
    { type: 'join', rooms: ['a', 'b'] },
    { type: 'leave', rooms: ['a'] },
    { type: 'encrypted', iv: new Uint8Array(12).fill(1), ct: new Uint8Array(40).fill(2) },
  ]

  it.each(frames)('round-trips $type through parseFrame', (frame) => {
    expect(parseFrame(encodeFrame(frame))).toEqual(frame)
  })

  it('writes the exact wire shapes of the protocol', () => {
    expect(encodeFrame({ type: 'heartbeat' })).toBe('{"event":"heartbeat"}')
    expect(encodeFrame({ type: 'join', rooms: ['a', 'b'] })).toBe(
      '{"event":"join","data":{"rooms":["a","b"]}}',
    )
    expect(JSON.parse(encodeFrame(frames[0]!))).toEqual({
      event: 'authenticate',
      data: { type: 'Bearer', token: 't.o.k', clientPublicKey: Buffer.from(key).toString('base64') },
    })
  })
})
