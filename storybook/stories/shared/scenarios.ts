// Every connection state the stories show, set up on @encrypted-socket/testing's mock server
// (which speaks protocol v2, as @encrypted-socket/server does): framework-free, so the React and
// Vue stories stage exactly the same thing.
import type { ClientOptions, EncryptedWebSocketClient, WebSocketLike } from '@encrypted-socket/core'
import {
  createMockEncryptedServer,
  MockWebSocket,
  type MockEncryptedServer,
  type MockServerOptions,
} from '@encrypted-socket/testing'

export const ECDH_INFO = 'storybook-e2e'

export type ScenarioName =
  | 'disconnected'
  | 'connecting'
  | 'authenticating'
  | 'authenticated'
  | 'reconnecting'
  | 'rejected'
  | 'handshakeTimeout'
  | 'retriesExhausted'
  | 'tampered'
  | 'outbox'
  | 'sharedRoom'
  | 'reorderedRecord'
  | 'deadConnection'
  | 'keyMismatch'

export interface Scenario {
  server: MockEncryptedServer
  options: ClientOptions & { enabled?: boolean }
  stop(): Promise<void>
}

let next = 0
const quiet = { info() {}, warn() {}, error() {}, debug() {} }

/** A WebSocket that never opens: the client stays `connecting`. */
class NeverOpens implements WebSocketLike {
  readonly readyState = 0
  onopen = null
  onmessage = null
  onclose = null
  onerror = null
  send(): void {}
  close(): void {}
}

/** Sets the scenario up: a fresh mock server on its own URL and the client options for it. */
export function createScenario(name: ScenarioName): Scenario {
  const url = `ws://localhost:${20_000 + (next++ % 10_000)}/${name}`
  const serverOptions: MockServerOptions = { ecdhInfo: ECDH_INFO, verifyToken: (token) => (token === 'demo' ? 'storybook' : false) }
  // A ping every 500 ms, so that a silent server is noticed within seconds (the default is 30 s).
  if (name === 'deadConnection') serverOptions.heartbeat = 500
  const server = createMockEncryptedServer(url, serverOptions)
  const options: Scenario['options'] = { url, ecdhInfo: ECDH_INFO, token: 'demo', WebSocket: MockWebSocket, logger: quiet }
  switch (name) {
    case 'disconnected':
      options.enabled = false
      break
    case 'connecting':
      options.WebSocket = NeverOpens
      break
    case 'authenticating':
      server.hangHandshake()
      options.handshakeTimeout = 600_000
      break
    case 'reconnecting':
      options.reconnect = { interval: 10_000, jitter: 'none' }
      break
    case 'rejected':
      server.rejectAuthentication({ code: 4401, message: 'Token expired' })
      break
    case 'handshakeTimeout':
      server.hangHandshake()
      options.handshakeTimeout = 800
      options.reconnect = { enabled: false }
      break
    case 'retriesExhausted':
      options.url = `ws://localhost:${30_000 + next}/nobody-listens`
      options.reconnect = { interval: 100, maxRetries: 2, jitter: 'none' }
      break
    case 'outbox':
      options.reconnect = { interval: 1500, jitter: 'none' }
      break
    case 'tampered':
    case 'reorderedRecord':
      // v2: a record that does not open ends the connection (4001); the next one comes 1 s later.
      options.reconnect = { interval: 1000, jitter: 'none' }
      break
    case 'deadConnection':
      options.pongTimeout = 1500
      break
    case 'keyMismatch':
      options.ecdhInfo = 'another-app' // the server derives its keys with ECDH_INFO
      break
    default:
      break
  }
  return { server, options, stop: () => server.stop() }
}

/** What the stories' buttons do to the server. */
export const controls = {
  drop: (scenario: Scenario) => scenario.server.dropAll(1006),
  reject: (scenario: Scenario) => {
    scenario.server.rejectAuthentication({ code: 4401, message: 'Token revoked' })
    scenario.server.dropAll(1006)
  },
  tamper: async (scenario: Scenario) => {
    for (const connection of scenario.server.openConnections()) await connection.sendTampered('chat.message', { text: 'forged' })
  },
  /** v2: two messages whose records go out swapped. */
  reorder: async (scenario: Scenario) => {
    for (const connection of scenario.server.openConnections()) {
      connection.reorderNextTwo()
      await Promise.all([connection.send('chat.message', { text: 'first' }), connection.send('chat.message', { text: 'second' })])
    }
  },
  /** v2: the server goes silent (no pong, nothing at all) while the socket stays open. */
  silence: (scenario: Scenario) => {
    for (const connection of scenario.server.openConnections()) connection.ignorePings()
  },
}

/** The buttons of every story, with what they do. */
export const buttons = [
  ['Drop', controls.drop],
  ['Reject', controls.reject],
  ['Tamper', controls.tamper],
  ['Reorder', controls.reorder],
  ['Ignore pings', controls.silence],
] as const

/** Runs a button's control; a fault on a connection that is closing meanwhile is no failure. */
export function press(control: (scenario: Scenario) => unknown, scenario: Scenario): void {
  void Promise.resolve()
    .then(() => control(scenario))
    .catch(() => undefined)
}

/** The mock server's connections as it saw them: `v2 closed 4001, v2 open`. */
export function describeConnections(server: MockEncryptedServer): string {
  const described = server.connections.map((c) => `${c.protocol} ${c.isOpen ? 'open' : `closed ${c.closeCode}`}`)
  return described.join(', ') || '—'
}

/**
 * Calls `onChange` with every error code the client has shown as `lastError`, in order: the fault
 * a story injects stays on the screen after the reconnect that clears `lastError`.
 */
export function watchErrors(client: EncryptedWebSocketClient, onChange: (codes: string[]) => void): () => void {
  let codes: string[] = []
  let last = client.getSnapshot().lastError
  return client.subscribe(() => {
    const error = client.getSnapshot().lastError
    if (error && error !== last) {
      codes = [...codes, error.code].slice(-8)
      onChange(codes)
    }
    last = error
  })
}

/** The countdown to the next attempt, in whole seconds. */
export function secondsUntil(time: number | null, now: number): number | null {
  return time === null ? null : Math.max(0, Math.ceil((time - now) / 1000))
}

/**
 * The story-file parts both frameworks share: every story gets its own scenario (a loader) and
 * its mock server is stopped when the story unmounts (the cleanup `beforeEach` returns).
 */
export function scenarioLifecycle() {
  const live: Scenario[] = []
  return {
    beforeEach: () => async () => {
      await Promise.all(live.splice(0).map((scenario) => scenario.stop()))
    },
    loaders: [
      ({ parameters }: { parameters: Record<string, unknown> }) => {
        const scenario = createScenario(parameters.scenario as ScenarioName)
        live.push(scenario)
        return { scenario }
      },
    ],
  }
}
