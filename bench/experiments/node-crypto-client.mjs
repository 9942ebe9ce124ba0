// An experiment, not a feature: answers crypto.subtle's ECDH, HKDF and AES-GCM calls with synchronous
// node:crypto, to measure the most a node:crypto backend for the client could give in Node (it skips
// Web Crypto's checks, so it is an upper bound). Load it before a benchmark:
//   node --import ./experiments/node-crypto-client.mjs handshake.mjs
// Never load it in an application: keys become plain objects and nothing is validated.
import { createCipheriv, createDecipheriv, createECDH, createSecretKey, hkdfSync } from 'node:crypto'
const subtle = globalThis.crypto.subtle
const orig = {}
for (const m of ['generateKey', 'exportKey', 'importKey', 'deriveBits', 'deriveKey', 'encrypt', 'decrypt'])
  orig[m] = subtle[m].bind(subtle)
const name = (a) => (typeof a === 'string' ? a : a?.name)
const ab = (buf) => buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length)
const bytes = (src) =>
  src instanceof ArrayBuffer
    ? new Uint8Array(src)
    : new Uint8Array(src.buffer, src.byteOffset, src.byteLength)
subtle.generateKey = async (alg, ...rest) => {
  if (name(alg) !== 'ECDH') return orig.generateKey(alg, ...rest)
  const ecdh = createECDH('prime256v1')
  ecdh.generateKeys()
  return { privateKey: { fast: 'ecdh', ecdh }, publicKey: { fast: 'pub', raw: ecdh.getPublicKey() } }
}
subtle.exportKey = async (format, key) => (key?.fast === 'pub' ? ab(key.raw) : orig.exportKey(format, key))
subtle.importKey = async (format, data, alg, ...rest) => {
  if (format === 'raw' && name(alg) === 'ECDH') return { fast: 'pub', raw: Buffer.from(bytes(data)) }
  if (format === 'raw' && name(alg) === 'HKDF') return { fast: 'hkdf', ikm: Buffer.from(bytes(data)) }
  return orig.importKey(format, data, alg, ...rest)
}
subtle.deriveBits = async (alg, key, length) =>
  key?.fast === 'ecdh' ? ab(key.ecdh.computeSecret(alg.public.raw)) : orig.deriveBits(alg, key, length)
subtle.deriveKey = async (alg, key, derived, ...rest) => {
  if (key?.fast !== 'hkdf') return orig.deriveKey(alg, key, derived, ...rest)
  return {
    fast: 'aes',
    key: createSecretKey(Buffer.from(hkdfSync('sha256', key.ikm, bytes(alg.salt), bytes(alg.info), 32))),
  }
}
subtle.encrypt = async (alg, key, data) => {
  if (key?.fast !== 'aes') return orig.encrypt(alg, key, data)
  const c = createCipheriv('aes-256-gcm', key.key, bytes(alg.iv))
  const out = Buffer.concat([c.update(bytes(data)), c.final(), c.getAuthTag()])
  return ab(out)
}
subtle.decrypt = async (alg, key, data) => {
  if (key?.fast !== 'aes') return orig.decrypt(alg, key, data)
  const d = bytes(data)
  const dc = createDecipheriv('aes-256-gcm', key.key, bytes(alg.iv))
  dc.setAuthTag(d.subarray(d.length - 16))
  const out = Buffer.concat([dc.update(d.subarray(0, d.length - 16)), dc.final()])
  return ab(out)
}
