import { describe, expect, it } from 'vitest'
import type { WireFrame } from '../src/options'
import { startServer, token } from './helpers'
import { v2Peer } from './v2Peer'

describe('onFrame under v2', () => {
  it('shows the welcome and hello as text and records as their bytes: never the token, never a plaintext', async () => {
    const frames: WireFrame[] = []
    const server = await startServer({ demo: true, onFrame: (frame) => void frames.push(frame) })
    const jwt = await token('ana')
    const secret = 'PLAINTEXT-MARKER-7f3a'
    const peer = v2Peer(server.url)
    await peer.handshake(jwt)
    await peer.record({ t: 'msg', seq: 1, event: 'echo', data: { secret } })
    await peer.expect('msg')
    await peer.record({ t: 'msg', seq: 2, event: 'echo', bin: true }, Buffer.from(secret))
    await peer.expect('msg')
    await peer.expect('ack')

    expect(frames.slice(0, 2).map((frame) => [frame.direction, frame.text])).toEqual([
      ['out', peer.welcomeText],
      ['in', expect.stringContaining('"event":"hello"')],
    ])
    const records = frames.slice(2)
    expect(records.length).toBeGreaterThanOrEqual(7) // auth, ready, 2 msgs, 2 replies, an ack
    for (const frame of records) {
      expect(frame.binary).toBeInstanceOf(Uint8Array)
      expect(frame.text).toBe(`[binary record, ${frame.binary!.length} bytes]`)
    }
    // What the server showed is what crossed the wire, byte for byte.
    const received = peer.frames.slice(1) as Buffer[]
    expect(
      records.filter((frame) => frame.direction === 'out').map((frame) => Buffer.from(frame.binary!)),
    ).toEqual(received)
    const everything = Buffer.concat(
      frames.map((frame) => Buffer.concat([Buffer.from(frame.text), frame.binary ?? new Uint8Array()])),
    )
    for (const needle of [
      jwt,
      secret,
      Buffer.from(jwt).toString('base64'),
      Buffer.from(secret).toString('base64'),
    ]) {
      expect(everything.includes(needle)).toBe(false)
    }
  })
})
