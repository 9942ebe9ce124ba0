// What every test file that uses mock servers needs: fresh URLs, one place that stops them all,
// and a logger that prints nothing.
import type { Logger } from '@encrypted-socket/core'
import { createMockEncryptedServer, type MockEncryptedServer } from './mockEncryptedServer'
import type { MockServerOptions } from './serverOptions'

/** A logger that drops everything. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} }

export interface MockServers {
  /** A mock server on a URL no other server of this set has (`ws://localhost:<port>`). */
  create(options?: Partial<MockServerOptions>): MockEncryptedServer
  /** Stops every server created so far (call it after each test). */
  stopAll(): Promise<void>
}

/**
 * Mock servers sharing `defaults`, on ports counting up from `firstPort` (mock-socket keeps its
 * servers in one process-wide table: give each test file its own range).
 *
 * ```ts
 * const servers = mockServers({ ecdhInfo: 'app-test' }, 41_000)
 * afterEach(() => servers.stopAll())
 * const server = servers.create()
 * ```
 */
export function mockServers(defaults: MockServerOptions, firstPort = 40_000): MockServers {
  let port = firstPort
  const running: MockEncryptedServer[] = []
  return {
    create(options = {}) {
      const server = createMockEncryptedServer(`ws://localhost:${port++}`, { ...defaults, ...options })
      running.push(server)
      return server
    },
    async stopAll() {
      for (const server of running.splice(0)) await server.stop()
    },
  }
}
