import { describe, expect, it } from 'vitest'
import { EncryptedWebSocketClient } from './client/encryptedWebSocketClient'

const base = { url: 'wss://example.com/ws', ecdhInfo: 'app' }
const make = (extra: Record<string, unknown>) => () =>
  new EncryptedWebSocketClient({ ...base, ...extra } as never)

describe('option errors describe the value in plain English', () => {
  it.each([
    [{ url: undefined }, 'got undefined.'],
    [{ url: null }, 'got null.'],
    [{ autoJoinRooms: 'lobby' }, 'got a string.'],
    [{ reconnect: [] }, 'got an array.'],
    [{ requireEncryption: {} }, 'got an object.'],
    [{ heartbeatInterval: -1 }, 'got -1.'],
    [{ debug: 1 }, 'got 1.'],
    [{ getToken: 'x' }, 'got a string.'],
  ])('%o → %s', (extra, text) => {
    expect(make(extra)).toThrow(text)
  })
})
