export { createMockEncryptedServer, MockEncryptedServer } from './mockEncryptedServer'
export type {
  MockMessage,
  MockProtocol,
  MockServerOptions,
  ServerIdentity,
  TokenVerdict,
} from './serverOptions'
export { mockServers, silentLogger } from './mockServers'
export type { MockServers } from './mockServers'
export { MockConnection } from './mockConnection'
export type { ReceivedEvent } from './mockConnection'
export type { HandshakeMode, WelcomeFault } from './handshakeMode'
export { MOCK_EPOCH } from './v2/v2Session'
/** mock-socket's WebSocket: pass it as the client's `WebSocket` option to reach the mock server. */
export { WebSocket as MockWebSocket } from 'mock-socket'
