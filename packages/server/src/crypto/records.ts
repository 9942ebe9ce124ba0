import type { KeyObject } from 'node:crypto'
import { recordNonce } from '@encrypted-socket/core'
import { openBytes, sealBytes } from './aesGcm'

/** Record `n`: AES-256-GCM with the nonce 0x00000000 ‖ uint64(n), ciphertext ‖ 16-byte tag. */
export function sealRecord(key: KeyObject, n: number, plaintext: Uint8Array): Buffer {
  return sealBytes(key, plaintext, Buffer.from(recordNonce(n).buffer)).ct
}

/** The plaintext of record `n`, or null when it does not authenticate under `key` and `n`. */
export function openRecord(key: KeyObject, n: number, record: Uint8Array): Buffer | null {
  return openBytes(key, recordNonce(n), record)
}
