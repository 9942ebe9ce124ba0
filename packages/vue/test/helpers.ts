import { createMockEncryptedServer, MockWebSocket } from '@encrypted-socket/testing'
import { afterEach } from 'vitest'
import type { OwnedClientOptions } from '../src/useOwnedClient'

export const ECDH_INFO = 'vue-test/v1'
export const silentLogger = { info() {}, warn() {}, error() {}, debug() {} }

let port = 42_000
const servers: { stop(): Promise<void> }[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop()
})

/** A mock encrypted server on a fresh URL, stopped after the test. */
export function mockServer(options: Partial<Parameters<typeof createMockEncryptedServer>[1]> = {}) {
  const server = createMockEncryptedServer(`ws://localhost:${port++}`, { ecdhInfo: ECDH_INFO, ...options })
  servers.push(server)
  return server
}

/** Client options for the mock server. */
export function clientOptions(
  url: OwnedClientOptions['url'],
  extra: Partial<OwnedClientOptions> = {},
): OwnedClientOptions {
  return {
    url,
    ecdhInfo: ECDH_INFO,
    token: 'test.jwt.token',
    WebSocket: MockWebSocket,
    logger: silentLogger,
    ...extra,
  }
}
