import { describe, expect, it } from 'vitest'
import { mockClient, mockServer, nextLifecycle, onCleanup, reachState, until } from '../../test/helpers'

/** The page as the client sees it: `online` and `visibilitychange` dispatched by the test. */
function fakePage(): EventTarget {
  const page = new EventTarget()
  const globals = globalThis as { addEventListener?: unknown; removeEventListener?: unknown }
  globals.addEventListener = page.addEventListener.bind(page)
  globals.removeEventListener = page.removeEventListener.bind(page)
  onCleanup(() => {
    delete globals.addEventListener
    delete globals.removeEventListener
  })
  return page
}

const fastRetries = { interval: 1, jitter: 'none', maxRetries: 1 } as const

describe('after giving up, the page coming back', () => {
  it('starts again after ERR_RETRIES_EXHAUSTED (retry count from 0)', async () => {
    const page = fakePage()
    const server = mockServer()
    const client = mockClient(server.url, { reconnect: fastRetries })
    await client.connect()
    const gaveUp = nextLifecycle(client, 'reconnect_failed')
    server.rejectAuthentication({ code: 1011, errorCode: 'UNAVAILABLE' })
    server.dropAll(1006)
    await gaveUp
    expect(client.getSnapshot()).toMatchObject({
      state: 'disconnected',
      lastError: { code: 'ERR_RETRIES_EXHAUSTED' },
    })
    server.resetHandshake()
    page.dispatchEvent(new Event('online'))
    expect(client.getSnapshot()).toMatchObject({ state: 'connecting', retryCount: 0 })
    await reachState(client, 'authenticated')
    expect(server.connections).toHaveLength(3)

    // And again: still watching after the second give-up, through `visibilitychange` as well.
    const again = nextLifecycle(client, 'reconnect_failed')
    server.rejectAuthentication({ code: 1011, errorCode: 'UNAVAILABLE' })
    server.dropAll(1006)
    await again
    server.resetHandshake()
    page.dispatchEvent(new Event('visibilitychange'))
    await reachState(client, 'authenticated')
  })

  it('does nothing after a rejected token (ERR_REJECTED)', async () => {
    const page = fakePage()
    const server = mockServer()
    const client = mockClient(server.url, { reconnect: fastRetries })
    server.rejectAuthentication({ code: 1008 })
    await expect(client.connect()).rejects.toMatchObject({ code: 'ERR_REJECTED' })
    server.resetHandshake()
    page.dispatchEvent(new Event('online'))
    expect(client.getState()).toBe('disconnected')
    expect(server.connections).toHaveLength(1)
  })

  it('does nothing after ERR_KEY_MISMATCH', async () => {
    const page = fakePage()
    const server = mockServer({ ecdhInfo: 'something-else' })
    const client = mockClient(server.url, { reconnect: fastRetries })
    await expect(client.connect()).rejects.toMatchObject({ code: 'ERR_KEY_MISMATCH' })
    page.dispatchEvent(new Event('online'))
    expect(client.getState()).toBe('disconnected')
    expect(server.connections).toHaveLength(1)
  })

  it('does nothing after disconnect() or destroy(), even after retries ran out', async () => {
    const page = fakePage()
    const server = mockServer()
    const stopped = mockClient(server.url)
    await stopped.connect()
    stopped.disconnect()
    const exhausted = mockClient(server.url, { reconnect: fastRetries })
    await exhausted.connect()
    const gaveUp = nextLifecycle(exhausted, 'reconnect_failed')
    server.rejectAuthentication({ code: 1011, errorCode: 'UNAVAILABLE' })
    server.dropAll(1006)
    await gaveUp
    exhausted.destroy()
    server.resetHandshake()
    page.dispatchEvent(new Event('online'))
    expect(stopped.getState()).toBe('disconnected')
    expect(exhausted.getState()).toBe('disconnected')
    expect(server.connections).toHaveLength(3)
  })
})

describe('reconnect()', () => {
  it('from disconnected connects, whatever the reason it stopped', async () => {
    const server = mockServer()
    const client = mockClient(server.url)
    await client.reconnect()
    expect(client.isConnected()).toBe(true)
    server.rejectAuthentication({ code: 1008 })
    client.disconnect()
    await expect(client.reconnect()).rejects.toMatchObject({ code: 'ERR_REJECTED' })
    server.resetHandshake()
    await client.reconnect()
    expect(client.getSnapshot()).toMatchObject({ state: 'authenticated', retryCount: 0 })
  })

  it('while reconnecting starts the next attempt now', async () => {
    const server = mockServer()
    const client = mockClient(server.url, { reconnect: { interval: 600_000, jitter: 'none' } })
    await client.connect()
    server.dropAll(1006)
    await reachState(client, 'reconnecting')
    expect(client.getSnapshot().nextRetryAt).not.toBeNull()
    await client.reconnect()
    expect(client.getSnapshot()).toMatchObject({ state: 'authenticated', retryCount: 0 })
    expect(server.connections).toHaveLength(2)
  })

  it('while authenticated replaces the connection (close 4000 "Reconnect", not a retry), whatever the policy', async () => {
    const server = mockServer()
    const client = mockClient(server.url, { reconnect: { enabled: false } })
    await client.connect()
    const states: string[] = []
    client.onStateChange((state) => states.push(state))
    const counts: number[] = []
    client.subscribe(() => counts.push(client.getSnapshot().retryCount))
    await client.reconnect()
    expect(client.isConnected()).toBe(true)
    expect(server.connections).toHaveLength(2)
    await until(() => server.connections[0]!.closeCode !== null)
    expect(server.connections[0]!.closeCode).toBe(4000)
    expect(states).toEqual(['reconnecting', 'connecting', 'authenticating', 'authenticated'])
    expect(counts.every((count) => count === 0)).toBe(true)
    const sent = client.send('after', 1)
    await expect(sent).resolves.toBeUndefined()
    await server.connections[1]!.waitForEvents(1)
  })

  it('rejects when a listener disconnects meanwhile, and after destroy()', async () => {
    const server = mockServer()
    const client = mockClient(server.url)
    await client.connect()
    client.onStateChange((state) => state === 'reconnecting' && client.disconnect())
    await expect(client.reconnect()).rejects.toMatchObject({ code: 'ERR_NOT_CONNECTED' })
    expect(server.connections).toHaveLength(1)
    client.destroy()
    await expect(client.reconnect()).rejects.toMatchObject({ code: 'ERR_DESTROYED' })
  })
})
