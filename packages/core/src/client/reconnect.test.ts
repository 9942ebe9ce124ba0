import { describe, expect, it, vi } from 'vitest'
import {
  mockClient,
  mockServer,
  nextError,
  nextLifecycle,
  onCleanup,
  PROTOCOLS,
  until,
  useFakeTime,
} from '../../test/helpers'
import type { LifecycleEvents } from '../types'
import { defaultShouldReconnect, nextDelay } from './reconnect'

const RECONNECT = {
  enabled: true,
  maxRetries: 5,
  interval: 3000,
  backoffMultiplier: 1.5,
  maxInterval: 30_000,
  jitter: 'none',
  shouldReconnect: undefined,
} as const

describe('nextDelay', () => {
  it('grows by the multiplier from the interval up to maxInterval', () => {
    expect([1, 2, 3, 4, 10].map((attempt) => nextDelay(attempt, RECONNECT))).toEqual([
      3000, 4500, 6750, 10125, 30_000,
    ])
  })

  it('applies full jitter: a random share of the delay', () => {
    const jittered = { ...RECONNECT, jitter: 'full' } as const
    expect(nextDelay(2, jittered, () => 0.5)).toBe(2250)
    expect(nextDelay(2, jittered, () => 0)).toBe(0)
    expect(nextDelay(2, jittered, () => 0.999)).toBeLessThan(4500)
  })
})

describe('defaultShouldReconnect', () => {
  it.each([
    [1008, false],
    [4401, false],
    [4403, false],
    [1009, false],
    [1000, true],
    [1001, true],
    [1006, true],
    [1011, true],
    [1012, true],
    [1013, true],
    [4000, true],
  ])('close %i → retry %s', (code, retry) => {
    expect(defaultShouldReconnect({ code })).toBe(retry)
  })
})

describe.each(PROTOCOLS)('reconnection (%s)', (protocol) => {
  it('waits interval × multiplier^(n−1) between attempts, then gives up with reconnect_failed', async () => {
    useFakeTime()
    const server = mockServer({ protocol })
    const client = mockClient(server.url, {
      reconnect: { interval: 1000, backoffMultiplier: 2, maxInterval: 3000, maxRetries: 3, jitter: 'none' },
    })
    const scheduled: LifecycleEvents['reconnecting'][] = []
    client.onLifecycle('reconnecting', (event) => scheduled.push(event))
    const gaveUp = vi.fn()
    client.onLifecycle('reconnect_failed', gaveUp)
    const connecting = client.connect()
    await until(() => client.isConnected())
    await connecting
    // Every later attempt fails, and 1011 is retried (v2 never retries an AUTH_FAILED, whatever the close).
    server.rejectAuthentication({ code: 1011, errorCode: 'UNAVAILABLE' })
    server.dropAll(1006)
    await until(() => client.getState() === 'reconnecting')
    expect(client.getSnapshot().nextRetryAt).toBe(Date.now() + 1000)

    await vi.advanceTimersByTimeAsync(999)
    expect(client.getState()).toBe('reconnecting')
    expect(server.connections).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(client.getState()).toBe('connecting')
    expect(client.getSnapshot().retryCount).toBe(1)

    await until(() => client.getState() === 'disconnected', { step: 50 })
    expect(scheduled).toEqual([
      { attempt: 1, delay: 1000 },
      { attempt: 2, delay: 2000 },
      { attempt: 3, delay: 3000 },
    ])
    expect(gaveUp).toHaveBeenCalledWith({ retries: 3 })
    expect(client.getSnapshot().lastError?.code).toBe('ERR_RETRIES_EXHAUSTED')
    expect(server.connections).toHaveLength(4)
  })

  it('resets the retry count once authenticated again', async () => {
    const server = mockServer({ protocol })
    const client = mockClient(server.url, { reconnect: { interval: 1, jitter: 'none' } })
    await client.connect()
    const retrying = nextLifecycle(client, 'reconnecting')
    ;(await server.nextConnection()).drop(1006)
    expect(await retrying).toEqual({ attempt: 1, delay: 1 })
    await server.nextConnection()
    await until(() => client.isConnected())
    expect(client.getSnapshot().retryCount).toBe(0)
    expect(client.getSnapshot().nextRetryAt).toBeNull()
  })

  it.each([1008, 4401, 4403])(
    'does not retry a rejection (close %i): connect() rejects with ERR_REJECTED',
    async (code) => {
      const server = mockServer({ protocol })
      // v2 pairs AUTH_FAILED with 1008 and TOKEN_EXPIRED with 4401; a 4403 follows another error.
      server.rejectAuthentication(
        protocol === 'v2' && code === 4403 ? { code, errorCode: 'FORBIDDEN' } : { code },
      )
      const client = mockClient(server.url, { reconnect: { interval: 1 } })
      const error = await client.connect().catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'ERR_REJECTED', closeCode: code })
      expect(client.getState()).toBe('disconnected')
      expect(client.getSnapshot().lastError).toBe(error)
      expect(server.connections).toHaveLength(1)
    },
  )

  it('does not retry 1009 (message too big)', async () => {
    const server = mockServer({ protocol })
    const client = mockClient(server.url, { reconnect: { interval: 1 } })
    await client.connect()
    server.dropAll(1009)
    await until(() => client.getState() === 'disconnected')
    expect(client.getSnapshot().lastError).toMatchObject({ code: 'ERR_CONNECTION_CLOSED', closeCode: 1009 })
    expect(server.connections).toHaveLength(1)
  })

  it.each([1001, 1006, 1011, 1012, 1013])('retries after close %i', async (code) => {
    const server = mockServer({ protocol })
    const client = mockClient(server.url, { reconnect: { interval: 1, jitter: 'none' } })
    await client.connect()
    const first = await server.nextConnection()
    first.drop(code)
    const second = await server.nextConnection()
    await until(() => client.isConnected())
    expect(second).not.toBe(first)
  })

  it('lets reconnect.shouldReconnect override the policy, with the close info', async () => {
    const server = mockServer({ protocol })
    // v2 retries a TOKEN_EXPIRED (4401) once with getToken() whatever the policy, and never an
    // AUTH_FAILED (1008): its refusal that reaches the policy is a 4403 after another error.
    const rejection = protocol === 'v1' ? { code: 4401 } : { code: 4403, errorCode: 'FORBIDDEN' }
    server.rejectAuthentication(rejection)
    const shouldReconnect = vi.fn(() => {
      server.resetHandshake()
      return true
    })
    const client = mockClient(server.url, { reconnect: { interval: 1, jitter: 'none', shouldReconnect } })
    await client.connect()
    expect(server.connections).toHaveLength(2)
    expect(shouldReconnect).toHaveBeenCalledWith(
      expect.objectContaining({
        code: rejection.code,
        retryCount: 0,
        error: expect.objectContaining({ code: 'ERR_REJECTED' }),
      }),
    )
  })

  it('gives up at the first failure when reconnect.enabled is false', async () => {
    const server = mockServer({ protocol })
    const client = mockClient(server.url, { reconnect: { enabled: false } })
    await client.connect()
    server.dropAll(1006)
    await until(() => client.getState() === 'disconnected')
    expect(client.getSnapshot().lastError).toMatchObject({ code: 'ERR_CONNECTION_CLOSED', closeCode: 1006 })
  })

  it('closes a handshake that never completes after handshakeTimeout (4000) and retries', async () => {
    useFakeTime()
    const server = mockServer({ protocol })
    server.hangHandshake()
    const client = mockClient(server.url, {
      handshakeTimeout: 5000,
      reconnect: { interval: 1000, jitter: 'none' },
    })
    const opened = Date.now()
    void client.connect()
    await until(() => client.getState() === 'authenticating' && server.connections[0]?.frames.length === 1)
    const reported = nextError(client, 'ERR_HANDSHAKE_TIMEOUT')
    await vi.advanceTimersByTimeAsync(5000 - (Date.now() - opened) - 50)
    expect(client.getState()).toBe('authenticating')
    await vi.advanceTimersByTimeAsync(100)
    await reported
    expect(client.getState()).toBe('reconnecting')
    await until(() => !server.connections[0]!.isOpen)
    server.resetHandshake()
    await until(() => client.isConnected(), { step: 50 })
    expect(server.connections).toHaveLength(2)
  })

  it('sends a heartbeat every heartbeatInterval while authenticated, and none after disconnect()', async () => {
    useFakeTime()
    const server = mockServer({ protocol })
    // v2 answers every ping with a pong, sealed in real time: one advance of 30 s could outrun it
    // and fire the pongTimeout (10 s), so here the pong may take longer than the next ping.
    const client = mockClient(server.url, { heartbeatInterval: 30_000, pongTimeout: 60_000 })
    void client.connect()
    await until(() => client.isConnected())
    const connection = server.connections[0]!
    await vi.advanceTimersByTimeAsync(30_000)
    await until(() => connection.heartbeats === 1)
    await vi.advanceTimersByTimeAsync(30_000)
    await until(() => connection.heartbeats === 2)
    client.disconnect()
    await vi.advanceTimersByTimeAsync(90_000)
    expect(connection.heartbeats).toBe(2)
  })
})

describe('browser online/offline', () => {
  function fakeBrowser(online: boolean) {
    const target = new EventTarget()
    const navigator = { onLine: online }
    const document = { visibilityState: 'visible' }
    vi.stubGlobal('navigator', navigator)
    vi.stubGlobal('document', document)
    vi.stubGlobal('addEventListener', target.addEventListener.bind(target))
    vi.stubGlobal('removeEventListener', target.removeEventListener.bind(target))
    onCleanup(() => vi.unstubAllGlobals())
    return {
      goOnline() {
        navigator.onLine = true
        target.dispatchEvent(new Event('online'))
      },
      goOffline() {
        navigator.onLine = false
        target.dispatchEvent(new Event('offline'))
      },
      setVisibility(visibility: 'visible' | 'hidden') {
        document.visibilityState = visibility
        target.dispatchEvent(new Event('visibilitychange'))
      },
    }
  }

  it('does not burn retries while offline, and reconnects at once on `online`', async () => {
    useFakeTime()
    const browser = fakeBrowser(true)
    const server = mockServer()
    const client = mockClient(server.url, { reconnect: { interval: 1000, jitter: 'none', maxRetries: 2 } })
    void client.connect()
    await until(() => client.isConnected())
    browser.goOffline()
    server.dropAll(1006)
    await until(() => client.getState() === 'reconnecting')
    await vi.advanceTimersByTimeAsync(60_000)
    expect(client.getState()).toBe('reconnecting')
    expect(client.getSnapshot().retryCount).toBe(0)
    expect(client.getSnapshot().nextRetryAt).toBeNull()
    expect(server.connections).toHaveLength(1)
    browser.goOnline()
    await until(() => client.isConnected())
    expect(server.connections).toHaveLength(2)
  })

  it('skips the rest of the backoff when the browser comes back online', async () => {
    useFakeTime()
    const browser = fakeBrowser(true)
    const server = mockServer()
    const client = mockClient(server.url, { reconnect: { interval: 30_000, jitter: 'none' } })
    void client.connect()
    await until(() => client.isConnected())
    server.dropAll(1006)
    await until(() => client.getState() === 'reconnecting')
    browser.goOnline()
    expect(client.getState()).toBe('connecting')
    await until(() => client.isConnected())
  })

  it('skips the rest of the backoff when the tab becomes visible again', async () => {
    useFakeTime()
    const browser = fakeBrowser(true)
    browser.setVisibility('hidden')
    const server = mockServer()
    const client = mockClient(server.url, { reconnect: { interval: 30_000, jitter: 'none' } })
    void client.connect()
    await until(() => client.isConnected())
    server.dropAll(1006)
    await until(() => client.getState() === 'reconnecting')
    browser.setVisibility('hidden') // still hidden: keep waiting
    expect(client.getState()).toBe('reconnecting')
    browser.setVisibility('visible')
    expect(client.getState()).toBe('connecting')
    await until(() => client.isConnected())
  })

  it('stops listening to `online` after destroy()', async () => {
    const browser = fakeBrowser(true)
    const server = mockServer()
    const client = mockClient(server.url)
    await client.connect()
    client.destroy()
    browser.goOnline()
    expect(client.getState()).toBe('disconnected')
    expect(server.connections).toHaveLength(1)
  })
})
