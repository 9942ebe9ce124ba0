// The v2 key schedule: th = SHA-256(welcome text ‖ client key), then one AES-256-GCM key per
// direction, HKDF-SHA-256(shared, salt, label ‖ 0x00 ‖ th ‖ ecdhInfo).
import { deriveSharedSecret, importPeerPublicKey } from '../../crypto/ecdh'
import { hkdfAesKey } from '../../crypto/hkdf'

export const C2S_LABEL = 'encrypted-socket/v2 c2s'
export const S2C_LABEL = 'encrypted-socket/v2 s2c'

/** The two directions' keys of one connection. */
export interface RecordKeys {
  c2s: CryptoKey
  s2c: CryptoKey
}

const encoder = /* @__PURE__ */ new TextEncoder()

/** The transcript hash: SHA-256 of the welcome's exact text and the client's raw public key. */
export async function transcriptHash(
  welcomeText: string,
  clientPublicKey: Uint8Array,
): Promise<Uint8Array<ArrayBuffer>> {
  const welcome = encoder.encode(welcomeText)
  const bytes = new Uint8Array(welcome.length + clientPublicKey.length)
  bytes.set(welcome)
  bytes.set(clientPublicKey, welcome.length)
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))
}

/** HKDF's `info` for one direction: UTF-8(label) ‖ 0x00 ‖ th ‖ UTF-8(ecdhInfo). */
export function keyInfo(label: string, th: Uint8Array, ecdhInfo: string): Uint8Array<ArrayBuffer> {
  const head = encoder.encode(label)
  const tail = encoder.encode(ecdhInfo)
  const info = new Uint8Array(head.length + 1 + th.length + tail.length)
  info.set(head)
  info.set(th, head.length + 1)
  info.set(tail, head.length + 1 + th.length)
  return info
}

/** Both record keys from the ECDH shared secret (non-extractable unless the vectors ask). */
export async function deriveRecordKeys(
  sharedSecret: BufferSource,
  salt: Uint8Array<ArrayBuffer>,
  th: Uint8Array,
  ecdhInfo: string,
  extractable = false,
): Promise<RecordKeys> {
  const [c2s, s2c] = await Promise.all(
    [C2S_LABEL, S2C_LABEL].map((label) =>
      hkdfAesKey(sharedSecret, salt, keyInfo(label, th, ecdhInfo), extractable),
    ),
  )
  return { c2s: c2s!, s2c: s2c! }
}

/** The client's side: ECDH with the welcome's key, the transcript hash, both record keys. */
export async function clientRecordKeys(
  privateKey: CryptoKey,
  clientPublicKey: Uint8Array,
  welcomeText: string,
  serverPublicKey: Uint8Array<ArrayBuffer>,
  salt: Uint8Array<ArrayBuffer>,
  ecdhInfo: string,
): Promise<RecordKeys> {
  const [shared, th] = await Promise.all([
    importPeerPublicKey(serverPublicKey).then((peer) => deriveSharedSecret(privateKey, peer)),
    transcriptHash(welcomeText, clientPublicKey),
  ])
  return deriveRecordKeys(shared, salt, th, ecdhInfo)
}
