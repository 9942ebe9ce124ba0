import {
  createEphemeralKeys,
  deriveSessionKey,
  encodeFrame,
  openMessage,
  parseFrame,
  sealMessage,
} from '@encrypted-socket/core'
import { describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { SentIvs } from '../src/crypto/sentIvs'
import { ECDH_INFO, onCleanup, startServer, token, until } from './helpers'

// The v1 server's own frames: IVs from a per-connection prefix and a counter, reflections caught
// by that prefix and counter, received IVs alone in the replay set.

describe('SentIvs', () => {
  const fixed = (bytes: Buffer) => bytes.fill(0xab)

  it('hands out prefix || counter, never the same twice', () => {
    const ivs = new SentIvs(fixed)
    const [a, b, c] = [ivs.next(), ivs.next(), ivs.next()]
    expect(a.toString('hex')).toBe('abababab0000000000000000')
    expect(b.toString('hex')).toBe('abababab0000000000000001')
    expect(c.toString('hex')).toBe('abababab0000000000000002')
  })

  it('knows the IVs it handed out, and only those', () => {
    const ivs = new SentIvs(fixed)
    const sent = Array.from({ length: 3 }, () => ivs.next())
    for (const iv of sent) expect(ivs.sent(iv)).toBe(true)
    expect(ivs.sent(Buffer.from('abababab0000000000000003', 'hex'))).toBe(false) // not yet used
    expect(ivs.sent(Buffer.from('abababab0000000100000000', 'hex'))).toBe(false)
    expect(ivs.sent(Buffer.from('abababac0000000000000000', 'hex'))).toBe(false) // another prefix
    expect(ivs.sent(Buffer.from('abababab00000000000000', 'hex'))).toBe(false) // 11 bytes
    expect(ivs.sent(new Uint8Array(Buffer.from('xxabababab0000000000000001', 'hex')).subarray(1))).toBe(false)
    expect(ivs.sent(new Uint8Array(Buffer.from('00abababab0000000000000001', 'hex')).subarray(1))).toBe(true)
  })

  it('draws a new prefix per connection from the CSPRNG', () => {
    const prefixes = new Set(
      Array.from({ length: 50 }, () => new SentIvs().next().subarray(0, 4).toString('hex')),
    )
    expect(prefixes.size).toBeGreaterThan(45)
  })
})

/** A v1 client by hand that can choose its IVs. */
async function v1Peer(url: string) {
  const socket = new WebSocket(url)
  const frames: string[] = []
  const waiters: (() => void)[] = []
  socket.on('message', (data) => {
    frames.push(data.toString())
    waiters.splice(0).forEach((wake) => wake())
  })
  socket.on('error', () => undefined)
  onCleanup(() => socket.terminate())
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)))
  await new Promise((resolve) => socket.once('open', resolve))
  const next = async (): Promise<string> => {
    for (;;) {
      const frame = frames.shift()
      if (frame !== undefined) return frame
      await new Promise<void>((wake) => waiters.push(wake))
    }
  }
  const keys = await createEphemeralKeys()
  socket.send(
    encodeFrame({ type: 'authenticate', token: await token('ana'), clientPublicKey: keys.publicKey }),
  )
  const connected = parseFrame(await next())
  if (connected.type !== 'connected') throw new Error('not connected')
  const key = await deriveSessionKey(keys.privateKey, connected.serverPublicKey!, connected.salt!, ECDH_INFO)
  return {
    socket,
    closed,
    /** The next encrypted frame: its text, IV and message. */
    async receive() {
      const text = await next()
      const frame = parseFrame(text)
      if (frame.type !== 'encrypted') throw new Error(`expected an encrypted frame, got ${text}`)
      return { text, iv: Buffer.from(frame.iv), message: await openMessage(key, frame.iv, frame.ct) }
    },
    async send(event: string, data: unknown, iv?: Buffer) {
      const { frame } = await sealMessage(key, { event, data }, iv && new Uint8Array(iv))
      socket.send(frame)
    },
  }
}

describe('v1 server IVs on the wire', () => {
  it('seals its frames under one random prefix and a counter from 0', async () => {
    const server = await startServer({ demo: true })
    const peer = await v1Peer(server.url)
    for (let n = 0; n < 3; n++) await peer.send('echo', n)
    const ivs = await Promise.all([peer.receive(), peer.receive(), peer.receive()]).then((r) =>
      r.map((f) => f.iv),
    )
    expect(ivs.map((iv) => iv.subarray(4).toString('hex'))).toEqual([
      '0000000000000000',
      '0000000000000001',
      '0000000000000002',
    ])
    expect(new Set(ivs.map((iv) => iv.subarray(0, 4).toString('hex'))).size).toBe(1)
  })

  it('keeps only received IVs in the replay set: sending more frames than maxTrackedIvs does not re-key', async () => {
    const server = await startServer({ maxTrackedIvs: 4 })
    const peer = await v1Peer(server.url)
    await until(() => server.connections().length === 1)
    const [info] = server.connections()
    for (let n = 0; n < 10; n++) expect(await server.sendTo(info!.id, 'n', n)).toBe(true)
    const received = []
    for (let n = 0; n < 10; n++) received.push((await peer.receive()).message.data)
    expect(received).toEqual(Array.from({ length: 10 }, (_, n) => n))
    expect(server.connections()).toHaveLength(1)
    expect(peer.socket.readyState).toBe(WebSocket.OPEN)
  })

  it('drops a reflection of its first frame after many, and opens a client frame that only shares the prefix', async () => {
    const server = await startServer({ demo: true })
    const peer = await v1Peer(server.url)
    await peer.send('echo', 'first')
    const first = await peer.receive()
    for (let n = 0; n < 5; n++) await peer.send('echo', n)
    for (let n = 0; n < 5; n++) await peer.receive()
    peer.socket.send(first.text) // the server's own frame (counter 0), sent back
    await until(() => server.drops.replayed === 1)
    // Our prefix, a counter the server has not used: a client's IV like any other.
    const unused = Buffer.concat([first.iv.subarray(0, 4), Buffer.from('00000000000f4240', 'hex')])
    await peer.send('echo', 'same prefix', unused)
    expect((await peer.receive()).message.data).toBe('same prefix')
    expect(server.drops.replayed).toBe(1)
  })
})
