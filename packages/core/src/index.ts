// Protocol v1 building blocks, shared by the client, @encrypted-socket/server and
// @encrypted-socket/testing (and by anyone writing their own peer).
export { decodeBase64, encodeBase64 } from './crypto/base64'
export { IV_LENGTH, TAG_LENGTH, decryptBytes, encryptBytes, randomIv } from './crypto/aesGcm'
export {
  PUBLIC_KEY_LENGTH,
  deriveSharedSecret,
  exportPublicKey,
  generateKeyPair,
  importPeerPublicKey,
} from './crypto/ecdh'
export { deriveAesKey } from './crypto/hkdf'
export {
  fingerprintKey,
  generateServerIdentity,
  handshakeTranscript,
  signTranscript,
  verifyTranscript,
} from './crypto/ecdsa'
export { CONTROL_EVENTS, ENCRYPTED_EVENT, isReservedEvent } from './protocol/controlEvents'
export type { ControlEvent } from './protocol/controlEvents'
export {
  encodeAuthenticate,
  encodeEncrypted,
  encodeFrame,
  encodeRooms,
  HEARTBEAT_FRAME,
  parseApplicationMessage,
  parseFrame,
  parseServerFrame,
} from './protocol/codec'
export type {
  ApplicationMessage,
  ConnectedFrame,
  Frame,
  IncomingFrame,
  MalformedFrame,
  PlaintextFrame,
  ServerFrame,
} from './protocol/codec'
export { createEphemeralKeys, deriveSessionKey } from './protocol/handshake'
export type { EphemeralKeys } from './protocol/handshake'
export {
  decodeApplicationMessage,
  openMessage,
  sealMessage,
  sealPlaintext,
  serializeMessage,
} from './protocol/message'
export type { SealedMessage } from './protocol/message'

// Protocol v2 building blocks (PROTOCOL-v2.md), shared the same way.
export { hkdfAesKey } from './crypto/hkdf'
export {
  C2S_LABEL,
  S2C_LABEL,
  clientRecordKeys,
  deriveRecordKeys,
  keyInfo,
  transcriptHash,
} from './protocol/v2/keys'
export type { RecordKeys } from './protocol/v2/keys'
export {
  MAX_RECORDS,
  decodeRecordPlaintext,
  encodeRecordPlaintext,
  openRecord,
  recordNonce,
  sealRecord,
} from './protocol/v2/record'
export { msgJson, readMessage } from './protocol/v2/messages'
export type {
  ClientMessage,
  MsgMessage,
  ReadResult,
  ResumeRequest,
  RoomPosition,
  Sender,
  ServerMessage,
} from './protocol/v2/messages'
export {
  SALT_LENGTH,
  SIGNATURE_LENGTH,
  WELCOME_LIFETIME,
  encodeHello,
  encodeWelcome,
  parseHello,
  parseWelcome,
  welcomeSignedBytes,
} from './protocol/v2/welcome'
export type { Welcome } from './protocol/v2/welcome'
export { PROTOCOL_V1, PROTOCOL_V2 } from './protocol/v2/subprotocols'

// The client (with v1 and v2; `@encrypted-socket/core/v2` has the v2-only one) and what goes
// with it.
export { EncryptedWebSocketClient, createClientOwner } from './client/encryptedWebSocketClient'
export * from './clientApi'
