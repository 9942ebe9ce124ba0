const encoder = /* @__PURE__ */ new TextEncoder()

/**
 * HKDF-SHA-256 from the ECDH shared secret to the AES-256-GCM session key:
 * `HKDF(ikm = sharedSecret, salt, info = UTF-8(ecdhInfo), 32 bytes)` (protocol v1).
 *
 * The key is not extractable unless `extractable` is set (only the test vectors need that).
 */
export function deriveAesKey(
  sharedSecret: BufferSource,
  salt: Uint8Array<ArrayBuffer>,
  ecdhInfo: string,
  extractable = false,
): Promise<CryptoKey> {
  return hkdfAesKey(sharedSecret, salt, encoder.encode(ecdhInfo), extractable)
}

/** HKDF-SHA-256 to a 32-byte AES-GCM key with the given `info` bytes. */
export async function hkdfAesKey(
  sharedSecret: BufferSource,
  salt: Uint8Array<ArrayBuffer>,
  info: Uint8Array<ArrayBuffer>,
  extractable = false,
): Promise<CryptoKey> {
  const ikm = await crypto.subtle.importKey('raw', sharedSecret, 'HKDF', false, ['deriveKey'])
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt, info },
    ikm,
    { name: 'AES-GCM', length: 256 },
    extractable,
    ['encrypt', 'decrypt'],
  )
}
