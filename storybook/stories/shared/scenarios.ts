// Every connection state the stories show, set up on @encrypted-socket/testing's mock server:
// framework-free, so the React and Vue stories stage exactly the same thing.
import type { ClientOptions, WebSocketLike } from '@encrypted-socket/core'
import { createMockEncryptedServer, MockWebSocket, type MockEncryptedServer } from '@encrypted-socket/testing'

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
  const server = createMockEncryptedServer(url, { ecdhInfo: ECDH_INFO, verifyToken: (token) => (token === 'demo' ? 'storybook' : false) })
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
