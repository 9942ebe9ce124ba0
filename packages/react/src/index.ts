export { EncryptedSocketProvider } from './EncryptedSocketProvider'
export { useEncryptedSocket } from './useEncryptedSocket'
export * from './commonExports'
