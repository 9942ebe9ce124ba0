// v2 records: AES-256-GCM under the direction's key with the implicit counter as nonce
// (0x00000000 ‖ uint64(n)); the plaintext is uint32(J) ‖ J bytes of JSON ‖ the attachment.
import { TAG_LENGTH } from '../../crypto/aesGcm'
import { EncryptedSocketError } from '../../errors'

/** Records one side may send on one connection; counter 2^32 and beyond is a violation. */
export const MAX_RECORDS = 2 ** 32

const encoder = /* @__PURE__ */ new TextEncoder()
const decoder = /* @__PURE__ */ new TextDecoder('utf-8', { fatal: true })

/**
 * The 12-byte nonce of record `n`: 0x00000000 ‖ uint64(n), big-endian (without BigInt or a DataView,
 * ten times faster; `n` is a counter, an integer below 2^53).
 */
export function recordNonce(n: number): Uint8Array<ArrayBuffer> {
  const nonce = new Uint8Array(12)
  putUint32(nonce, 4, n / 2 ** 32) // truncated: the high 32 bits
  putUint32(nonce, 8, n) // n modulo 2^32
  return nonce
}

/** Big-endian, without a DataView (allocating one costs as much as the rest of a nonce). */
function putUint32(bytes: Uint8Array, at: number, value: number): void {
  for (let i = 0; i < 4; i++) bytes[at + i] = value >>> (24 - 8 * i)
}

/**
 * uint32(J) ‖ UTF-8 JSON ‖ attachment. Sized for ASCII first (JSON mostly is: no waste, and a
 * session keeps what it sent until acknowledged), at most 3 bytes per UTF-16 unit otherwise.
 */
export function encodeRecordPlaintext(json: string, attachment?: Uint8Array): Uint8Array<ArrayBuffer> {
  const extra = attachment?.length ?? 0
  let buffer = new Uint8Array(4 + json.length + extra)
  const ascii = encoder.encodeInto(json, buffer.subarray(4, 4 + json.length))
  let written = ascii.written
  if (ascii.read < json.length) {
    buffer = new Uint8Array(4 + json.length * 3 + extra)
    written = encoder.encodeInto(json, buffer.subarray(4)).written
  }
  putUint32(buffer, 0, written)
  if (attachment) buffer.set(attachment, 4 + written)
  return buffer.subarray(0, 4 + written + extra)
}

/** The JSON text and the attachment of a record's plaintext, or why it has none. */
export function decodeRecordPlaintext(
  plaintext: Uint8Array<ArrayBuffer>,
): { json: string; attachment: Uint8Array<ArrayBuffer> } | { error: string } {
  if (plaintext.length < 4) return { error: 'the record is shorter than its length prefix' }
  const length = new DataView(plaintext.buffer, plaintext.byteOffset, 4).getUint32(0)
  if (length > plaintext.length - 4) return { error: 'the JSON length runs past the record' }
  try {
    return {
      json: decoder.decode(plaintext.subarray(4, 4 + length)),
      attachment: plaintext.subarray(4 + length),
    }
  } catch {
    return { error: 'the JSON is not UTF-8' }
  }
}

/** Seals record `n`: ciphertext ‖ 16-byte tag. */
export async function sealRecord(
  key: CryptoKey,
  n: number,
  plaintext: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: recordNonce(n) }, key, plaintext))
}

/**
 * Opens record `n`. Fails with `ERR_DECRYPT` when it does not authenticate: tampered, truncated,
 * replayed, reflected, reordered, or a record before it was dropped.
 */
export async function openRecord(
  key: CryptoKey,
  n: number,
  record: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  try {
    if (record.length < TAG_LENGTH || n >= MAX_RECORDS)
      throw new Error('short record or counter past the limit')
    return new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: recordNonce(n) }, key, record))
  } catch (cause) {
    throw new EncryptedSocketError(
      'ERR_DECRYPT',
      __DEV__
        ? `Record ${n} did not open: it was tampered with, replayed, reordered, or one before it was dropped.`
        : `Record ${n} did not open.`,
      { cause },
    )
  }
}
