import { webcrypto } from 'node:crypto'
import {
  createEphemeralKeys,
  deriveSessionKey,
  encodeFrame,
  openMessage,
  parseFrame,
  sealMessage,
} from '@encrypted-socket/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createServerIdentityText, loadServerIdentity } from '../src/index'
import { ECDH_INFO, rawClient, startServer, token, until } from './helpers'

const METHODS = [
  'encrypt',
  'decrypt',
  'deriveBits',
  'deriveKey',
  'importKey',
  'exportKey',
  'generateKey',
  'sign',
  'verify',
] as const

/** Counts Web Crypto calls (they still run). */
function countSubtleCalls() {
  const spies = METHODS.map((method) => [method, vi.spyOn(webcrypto.subtle, method)] as const)
  return () => Object.fromEntries(spies.map(([method, spy]) => [method, spy.mock.calls.length]))
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('the server keeps Web Crypto off its hot paths', () => {
  it('handshake (with a signature and the HS256 token check), decryption and fan-out use node:crypto, no Web Crypto at all', async () => {
    const identity = await loadServerIdentity((await createServerIdentityText()).privateKeyPem)
    const server = await startServer({ demo: true, identity })
    const raw = rawClient(server.url)
    const other = rawClient(server.url)
    await other.authenticate(await token('other'))
    const jwt = await token('u')
    const keys = await createEphemeralKeys()
    await raw.opened

    const calls = countSubtleCalls()
    raw.socket.send(encodeFrame({ type: 'authenticate', token: jwt, clientPublicKey: keys.publicKey }))
    const connected = parseFrame(await raw.nextFrame())
    if (connected.type !== 'connected') throw new Error('expected connected')
    expect(connected.signature).toHaveLength(64)
    // Nothing: the token's HMAC is node:crypto too (src/hs256.ts), and its key is derived by now.
    expect(calls()).toMatchObject({
      verify: 0,
      sign: 0,
      deriveBits: 0,
      deriveKey: 0,
      importKey: 0,
      generateKey: 0,
    })

    const key = await deriveSessionKey(
      keys.privateKey,
      connected.serverPublicKey!,
      connected.salt!,
      ECDH_INFO,
    )
    const { frame } = await sealMessage(key, { event: 'echo', data: 'hi' })
    const before = calls()
    raw.socket.send(frame)
    const reply = parseFrame(await raw.nextFrame((text) => text.startsWith('{"event":"encrypted"')))
    expect(await server.broadcast('note', 'to all')).toBe(2)
    expect(calls()).toEqual(before) // the server decrypted, encrypted a reply and a broadcast
    if (reply.type !== 'encrypted') throw new Error('expected an encrypted reply')
    expect(await openMessage(key, reply.iv, reply.ct)).toEqual({ event: 'echo.reply', data: 'hi' })
    await until(() => other.received.some((text) => text.startsWith('{"event":"encrypted"')))
  })
})
