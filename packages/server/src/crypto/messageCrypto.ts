import type { KeyObject } from 'node:crypto'
import { decodeApplicationMessage, encodeEncrypted, type ApplicationMessage } from '@encrypted-socket/core'
import { jsonDepthExceeds } from '../jsonDepth'
import { openBytes, sealBytes } from './aesGcm'
import { randomIv } from './randomIv'

/** Seals a serialised message into an `encrypted` frame's text, with its IV (the v1 server passes its `SentIvs` one). */
export function sealFrame(
  key: KeyObject,
  plaintext: Uint8Array,
  iv: Buffer = randomIv(),
): { frame: string; iv: Buffer } {
  return { frame: encodeEncrypted(iv, sealBytes(key, plaintext, iv).ct), iv }
}

/**
 * The application message inside an `encrypted` frame, or null when it does not open, is not one,
 * or nests deeper than `maxDepth` (checked before `JSON.parse` spends time on it).
 */
export function openFrame(
  key: KeyObject,
  iv: Uint8Array,
  ct: Uint8Array,
  maxDepth: number,
): ApplicationMessage | null {
  const plaintext = openBytes(key, iv, ct)
  return plaintext && readOpenedFrame(plaintext, maxDepth)
}

/** The application message in a decrypted frame, or null when it is not one or nests deeper than `maxDepth`. */
export function readOpenedFrame(plaintext: Uint8Array, maxDepth: number): ApplicationMessage | null {
  // The message itself is one level: {"event":…,"data":…}.
  if (jsonDepthExceeds(plaintext, maxDepth + 1)) return null
  const message = decodeApplicationMessage(plaintext)
  return 'type' in message ? null : message
}
