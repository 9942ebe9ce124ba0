import { createHash, type KeyObject } from 'node:crypto'
import { C2S_LABEL, keyInfo, S2C_LABEL } from '@encrypted-socket/core'
import { deriveAesKey } from './sessionKey'

/** The two AES-256-GCM keys of one v2 connection, one per direction. */
export interface RecordKeys {
  c2s: KeyObject
  s2c: KeyObject
}

/** `th = SHA-256(W ‖ C)`: the welcome's exact text as sent, then the client's raw public key. */
export function transcriptHash(welcomeText: string, clientPublicKey: Uint8Array): Buffer {
  return createHash('sha256').update(welcomeText, 'utf8').update(clientPublicKey).digest()
}

/** `HKDF-SHA-256(shared, salt, label ‖ 0x00 ‖ th ‖ ecdhInfo)` for each direction. */
export function deriveRecordKeys(
  sharedSecret: Uint8Array,
  salt: Uint8Array,
  th: Uint8Array,
  ecdhInfo: string,
): RecordKeys {
  return {
    c2s: deriveAesKey(sharedSecret, salt, keyInfo(C2S_LABEL, th, ecdhInfo)),
    s2c: deriveAesKey(sharedSecret, salt, keyInfo(S2C_LABEL, th, ecdhInfo)),
  }
}
