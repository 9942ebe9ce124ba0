// What an application needs beside the client itself, the same from both entry points
// (index.ts, with v1 and v2, and v2.ts).
export { EncryptedSocketError, isEncryptedSocketError } from './errors'
export { DEFAULT_ECDH_INFO } from './defaultEcdhInfo'
export type { EncryptedSocketErrorOptions, ErrorCode } from './errors'
export type { ClientBase } from './client/clientBase'
export { CLIENT_CLOSE, REJECTED_CLOSE_CODES, defaultShouldReconnect, nextDelay } from './client/reconnect'
export { transition } from './client/transition'
export type { ClientEvent } from './client/transition'
export { getRoomDenial, getRoomStatus } from './client/roomStatus'
export { ReplayGuard } from './client/replayGuard'
export { SNAPSHOT_FIELDS } from './client/snapshot'
export type { RoomStatus } from './client/roomStatus'
export { DEFAULTS } from './options'
export { pinServerFingerprint, pinServerKey } from './client/pinServer'
export type { ServerIdentity, SignedHandshake } from './client/pinServer'
export type {
  ClientOptions,
  ClientSnapshot,
  CloseInfo,
  ConnectionState,
  EventMap,
  EventName,
  LifecycleEvents,
  Logger,
  ReconnectOptions,
  RoomDenial,
  SendOptions,
  TrafficEntry,
  UnknownEvents,
  WebSocketConstructor,
  WebSocketLike,
} from './types'
export { leaseClient } from './client/lease'
export type { ClientOwner, CreateClientOwner } from './client/clientOwner'
export { destroyOnUnload } from './client/pageSignals'
