import { mockServers, MockWebSocket, silentLogger } from '@encrypted-socket/testing'
import { afterEach } from 'vitest'
import type { OwnedClientOptions } from '../src/useOwnedClient'

export const ECDH_INFO = 'react-test/v1'
export { silentLogger }

const servers = mockServers({ ecdhInfo: ECDH_INFO }, 41_000)
afterEach(() => servers.stopAll())

/** A mock encrypted server on a fresh URL, stopped after the test. */
export const mockServer = servers.create

/** Client options for the mock server. */
export function clientOptions(url: string, extra: Partial<OwnedClientOptions> = {}): OwnedClientOptions {
  return {
    url,
    ecdhInfo: ECDH_INFO,
    token: 'test.jwt.token',
    WebSocket: MockWebSocket,
    logger: silentLogger,
    ...extra,
  }
}
