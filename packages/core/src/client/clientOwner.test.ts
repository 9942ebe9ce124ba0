import { MockWebSocket } from '@encrypted-socket/testing'
import { describe, expect, it } from 'vitest'
import { ECDH_INFO, mockServer, onCleanup, reachState, TOKEN } from '../../test/helpers'
import { createClientOwner } from './encryptedWebSocketClient'

const microtask = () => new Promise<void>((resolve) => queueMicrotask(resolve))
const quiet = { debug() {}, info() {}, warn() {}, error() {} }

function owner(url: string, token = TOKEN) {
  const created = createClientOwner({
    url,
    ecdhInfo: ECDH_INFO,
    token,
    WebSocket: MockWebSocket,
    logger: quiet,
  })
  onCleanup(() => created.client.destroy())
  return created
}

describe('createClientOwner', () => {
  it('connects while enabled and disconnects when not', async () => {
    const server = mockServer()
    const { client, setEnabled } = owner(server.url)
    setEnabled(true)
    await reachState(client, 'authenticated')
    setEnabled(false)
    expect(client.getState()).toBe('disconnected')
  })

  it('destroys the client a microtask after its last holder lets go, and keeps it through a remount', async () => {
    const server = mockServer()
    const { client, hold } = owner(server.url)
    const first = hold()
    first()
    const second = hold() // StrictMode: unmount → mount in the same task
    await microtask()
    await expect(client.connect()).resolves.toBeUndefined()
    second()
    await microtask()
    await expect(client.connect()).rejects.toMatchObject({ code: 'ERR_DESTROYED' })
  })

  it('gives the next attempt a new token, and keeps the token it has for undefined', async () => {
    const tokens: string[] = []
    const server = mockServer({ verifyToken: (token) => (tokens.push(token), 'u') })
    const { client, setToken, setEnabled } = owner(server.url, 'first')
    setToken(undefined)
    setEnabled(true)
    await reachState(client, 'authenticated')
    setToken('second')
    setEnabled(false)
    setEnabled(true)
    await reachState(client, 'authenticated')
    expect(tokens).toEqual(['first', 'second'])
  })
})
