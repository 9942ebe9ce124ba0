// What both entry points export beside the composable and the plugin that create clients
// (index.ts: v1 and v2; v2.ts: v2 alone), which are the only exports that differ.
export type { EncryptedSocketPlugin, PluginClientOptions } from './plugin'
export type { SnapshotRefs, UseEncryptedSocketReturn } from './useEncryptedSocket'
export { useSocketEvent } from './useSocketEvent'
export { useRoom } from './useRoom'
export type { UseRoomOptions } from './useRoom'
/** Why the server refused a room, from a snapshot (core's, here so an app needs one import). */
export { getRoomDenial } from '@encrypted-socket/core'
export type { RoomDenial, RoomStatus } from '@encrypted-socket/core'
export { encryptedSocketKey } from './context'
export type { Register, RegisteredEvents } from './context'
export type { OwnedClientOptions } from './useOwnedClient'
