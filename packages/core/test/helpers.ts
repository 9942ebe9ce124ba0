import { mockServers, MockWebSocket, type MockServerOptions } from '@encrypted-socket/testing'
import WebSocket from 'ws'
import { afterEach, expect, vi } from 'vitest'
import type { ClientBase } from '../src/client/clientBase'
import { EncryptedWebSocketClient } from '../src/client/encryptedWebSocketClient'
import type { EncryptedSocketError } from '../src/errors'
import type {
  ClientOptions,
  ConnectionState,
  EventMap,
  EventName,
  LifecycleEvents,
  Logger,
  UnknownEvents,
} from '../src/types'

export const ECDH_INFO = 'test-e2e/v1'
export const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1LTEifQ.dGVzdC1zaWduYXR1cmUtZG8tbm90LWxvZw'

const cleanups: (() => unknown)[] = []

afterEach(async () => {
  vi.useRealTimers()
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** A logger that records every line, so tests can check what would have been printed. */
export function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = []
  const record = (message: string, ...args: unknown[]) => {
    lines.push(
      [
        message,
        ...args.map((arg) =>
          arg instanceof Error ? `${arg.message} ${String(arg.cause)}` : JSON.stringify(arg),
        ),
      ].join(' '),
    )
  }
  return { lines, info: record, warn: record, error: record, debug: record }
}

const servers = mockServers({ ecdhInfo: ECDH_INFO }, 40_000)

/**
 * The wire protocols the mock server can speak with an `'auto'` client, for tests that hold for
 * both: `describe.each(PROTOCOLS)(…, (protocol) => … mockServer({ protocol }) …)`.
 */
export const PROTOCOLS = ['v1', 'v2'] as const

/**
 * A mock server on a fresh URL, stopped after the test (in order with the other cleanups). It
 * speaks v2 unless `protocol: 'v1'`.
 */
export function mockServer(options: Partial<MockServerOptions> = {}) {
  const server = servers.create(options)
  cleanups.push(() => server.stop())
  return server
}

/** A client for `url` on mock-socket, destroyed after the test. */
export function mockClient<Events extends EventMap = UnknownEvents>(
  url: string,
  options: Partial<ClientOptions> = {},
) {
  const logger = recordingLogger()
  const client = new EncryptedWebSocketClient<Events>({
    url,
    ecdhInfo: ECDH_INFO,
    token: TOKEN,
    WebSocket: MockWebSocket,
    logger,
    ...options,
  })
  cleanups.push(() => {
    client.destroy()
    // Whatever the test did, the token never reached a log line.
    expect(logger.lines.join('\n')).not.toContain(TOKEN)
  })
  return Object.assign(client, { logger })
}

/** Resolves when the client reaches `state`. */
/**
 * A client of a real `ws` peer (Node's `ws` as its WebSocket), logging quietly, retrying after
 * 10 ms, destroyed after the test. `Client` is the root's client unless given (e.g. the v2-only one).
 */
export function peerClient(
  url: string,
  options: Partial<ClientOptions> = {},
  Client: new (options: ClientOptions) => ClientBase = EncryptedWebSocketClient,
) {
  const client = new Client({
    url,
    ecdhInfo: ECDH_INFO,
    token: TOKEN,
    WebSocket,
    logger: recordingLogger(),
    reconnect: { interval: 10, maxInterval: 10 },
    ...options,
  })
  onCleanup(() => client.destroy())
  return client
}

export function reachState<E extends EventMap>(
  client: EncryptedWebSocketClient<E>,
  state: ConnectionState,
): Promise<void> {
  if (client.getState() === state) return Promise.resolve()
  return new Promise((resolve) => {
    const stop = client.onStateChange((next) => {
      if (next !== state) return
      stop()
      resolve()
    })
  })
}

/** Resolves with the next lifecycle notification of this kind. */
export function nextLifecycle<E extends EventMap, K extends keyof LifecycleEvents>(
  client: EncryptedWebSocketClient<E>,
  event: K,
): Promise<LifecycleEvents[K]> {
  return new Promise((resolve) => {
    const stop = client.onLifecycle(event, (payload) => {
      stop()
      resolve(payload)
    })
  })
}

/** Resolves with the next reported error that has this code. */
export function nextError<E extends EventMap>(
  client: EncryptedWebSocketClient<E>,
  code: EncryptedSocketError['code'],
): Promise<EncryptedSocketError> {
  return new Promise((resolve) => {
    const stop = client.onLifecycle('error', (error) => {
      if (error.code !== code) return
      stop()
      resolve(error)
    })
  })
}

/** Collects an application event's payloads. */
export function collect<T = unknown, E extends EventMap = UnknownEvents>(
  client: EncryptedWebSocketClient<E>,
  event: EventName<E>,
): T[] {
  const seen: T[] = []
  client.on(event, (data) => seen.push(data as T))
  return seen
}

/** Runs `callback` after the test. */
export function onCleanup(callback: () => unknown): void {
  cleanups.push(callback)
}

const realSetTimeout = globalThis.setTimeout

/** Fake timers for the client and mock-socket; Web Crypto still completes in real time. */
export function useFakeTime(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] })
}

/**
 * Waits until `condition` holds. Under fake timers it moves fake time in small steps (mock-socket
 * delivers after 4 ms) while real time runs for Web Crypto; fails after `limit` steps.
 */
export async function until(condition: () => boolean, { step = 4, limit = 500 } = {}): Promise<void> {
  if (!vi.isFakeTimers()) {
    await vi.waitFor(
      () => {
        if (!condition()) throw new Error('condition not met yet')
      },
      { timeout: 5000 },
    )
    return
  }
  for (let i = 0; i < limit; i++) {
    if (condition()) return
    await vi.advanceTimersByTimeAsync(step)
    // A real millisecond per step, so Web Crypto's thread pool keeps pace with fake time.
    await new Promise((resolve) => realSetTimeout(resolve, 1))
  }
  throw new Error(`condition not met after ${limit} steps of ${step} ms`)
}
