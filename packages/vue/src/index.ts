export { createEncryptedSocket } from './plugin'
export { useEncryptedSocket } from './useEncryptedSocket'
export * from './commonExports'
