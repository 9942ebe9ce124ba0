import { describe, expect, it } from 'vitest'
import { rawClient, startServer, token, until } from './helpers'

const NOTICE =
  '{"event":"error","data":{"code":"UNDECRYPTABLE","message":"The first encrypted frame did not decrypt: check that the client\'s ecdhInfo matches the server\'s."}}'

describe('v1: a first encrypted frame that does not decrypt', () => {
  it('is answered once with a plaintext UNDECRYPTABLE error, and still dropped and counted', async () => {
    const server = await startServer({ ecdhInfo: 'another-app/v1' }) // rawClient derives with ECDH_INFO
    const raw = rawClient(server.url)
    await raw.authenticate(await token('ana'))
    await raw.send('echo', 1)
    expect(await raw.nextFrame()).toBe(NOTICE)
    await raw.send('echo', 2)
    await raw.send('echo', 3)
    // A round trip in plaintext: anything sent for the frames before would have arrived before it.
    // Control frames are handled in order after them: once joined, all three were handled.
    raw.socket.send('{"event":"join","data":{"rooms":["sync"]}}')
    await until(() => server.roomMembers('sync').length === 1)
    expect(server.drops.undecryptable).toBe(3)
    expect(raw.received).toEqual([])
    expect(raw.socket.readyState).toBe(raw.socket.OPEN)
  })

  it('is not reported once a frame decrypted on the connection', async () => {
    const server = await startServer({ demo: true })
    const raw = rawClient(server.url)
    await raw.authenticate(await token('ana'))
    await raw.send('echo', 1)
    expect((await raw.receive()).data).toBe(1)
    const frame = JSON.parse(await raw.send('echo', 2)) as { data: { iv: string } }
    expect((await raw.receive()).data).toBe(2)
    // Another IV (not a replay): the tag no longer verifies.
    const iv = Buffer.from(frame.data.iv, 'base64')
    iv[0]! ^= 1
    frame.data.iv = iv.toString('base64')
    raw.socket.send(JSON.stringify(frame))
    await raw.send('echo', 3)
    expect((await raw.receive()).data).toBe(3)
    expect(server.drops.undecryptable).toBe(1)
    expect(raw.received.filter((text) => text.includes('UNDECRYPTABLE'))).toEqual([])
  })
})
