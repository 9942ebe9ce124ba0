import { randomFillSync } from 'node:crypto'
import { IV_LENGTH } from '@encrypted-socket/core'

const IVS_PER_BATCH = 1024

let batch = Buffer.alloc(0)
let offset = 0

/**
 * A fresh random 12-byte IV. Randomness is drawn from the CSPRNG in batches (one call per 1,024
 * IVs instead of one per message); each slice is handed out once, and a used batch is never
 * refilled, so an IV already handed out never changes.
 */
export function randomIv(): Buffer {
  if (offset === batch.length) {
    batch = randomFillSync(Buffer.allocUnsafeSlow(IV_LENGTH * IVS_PER_BATCH))
    offset = 0
  }
  const iv = batch.subarray(offset, offset + IV_LENGTH)
  offset += IV_LENGTH
  return iv
}
