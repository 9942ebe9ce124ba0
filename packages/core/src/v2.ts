// `@encrypted-socket/core/v2`: the client for servers that all speak protocol v2. The same API as
// the package's root, with none of v1 in the bundle (and none of the protocol building blocks).
export {
  EncryptedWebSocketClientV2 as EncryptedWebSocketClient,
  createClientOwnerV2 as createClientOwner,
} from './client/v2OnlyClient'
export * from './clientApi'
