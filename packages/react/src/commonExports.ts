// What both entry points export beside the hook and the provider that create clients
// (index.ts: v1 and v2; v2.ts: v2 alone), which are the only exports that differ.
export type { EncryptedSocketProviderProps } from './EncryptedSocketProvider'
export type { UseEncryptedSocketOptions, UseEncryptedSocketResult } from './useEncryptedSocket'
export { useSocketEvent } from './useSocketEvent'
export { useRoom } from './useRoom'
export type { UseRoomOptions } from './useRoom'
/** Why the server refused a room, from a snapshot (core's, here so an app needs one import). */
export { getRoomDenial } from '@encrypted-socket/core'
export type { RoomDenial, RoomStatus } from '@encrypted-socket/core'
export { useSocketSelector } from './useSocketSelector'
export type { OwnedClientOptions } from './useOwnedClient'
export type { Register, RegisteredEvents } from './context'
