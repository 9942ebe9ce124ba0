export { createMockEncryptedServer, MockEncryptedServer } from './mockEncryptedServer'
export type { MockServerOptions } from './mockEncryptedServer'
export { mockServers, silentLogger } from './mockServers'
export type { MockServers } from './mockServers'
export { MockConnection } from './mockConnection'
export type { HandshakeMode, ReceivedEvent } from './mockConnection'
/** mock-socket's WebSocket: pass it as the client's `WebSocket` option to reach the mock server. */
export { WebSocket as MockWebSocket } from 'mock-socket'
