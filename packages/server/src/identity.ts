import { decodeBase64, encodeBase64, fingerprintKey, generateServerIdentity } from '@encrypted-socket/core'

/** A server's long-term signing identity (opt-in server authentication). */
export interface ServerIdentity {
  privateKey: CryptoKey
  /** Raw P-256 public key: clients pin it with `pinServerKey(base64)`. */
  publicKey: Uint8Array<ArrayBuffer>
}

/**
 * Loads an identity from a PKCS#8 private key (PEM, or base64 DER), as printed by
 * `encrypted-socket-server --generate-identity`.
 */
export async function loadServerIdentity(pkcs8: string): Promise<ServerIdentity> {
  // The whole output of --generate-identity works too: only its PEM block is read.
  const block = /-----BEGIN PRIVATE KEY-----[\s\S]*?-----END PRIVATE KEY-----/.exec(pkcs8)?.[0] ?? pkcs8
  const der = decodeBase64(block.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''))
  if (!der) throw new TypeError('encrypted-socket server: the signing key is not PEM or base64 PKCS#8.')
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256' } as const
  const extractable = await crypto.subtle.importKey('pkcs8', der, algorithm, true, ['sign'])
  const jwk = await crypto.subtle.exportKey('jwk', extractable)
  const privateKey = await crypto.subtle.importKey('pkcs8', der, algorithm, false, ['sign'])
  const point = new Uint8Array(65)
  point[0] = 4
  point.set(decodeBase64Url(jwk.x!), 1)
  point.set(decodeBase64Url(jwk.y!), 33)
  return { privateKey, publicKey: point }
}

/** A new identity as text: the PEM private key to keep, and what clients pin. */
export async function createServerIdentityText(): Promise<{
  privateKeyPem: string
  serverKey: string
  fingerprint: string
}> {
  const { privateKey, publicKey } = await generateServerIdentity()
  const der = new Uint8Array(await crypto.subtle.exportKey('pkcs8', privateKey))
  const body = encodeBase64(der)
    .replace(/(.{64})/g, '$1\n')
    .trim()
  return {
    privateKeyPem: `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----`,
    serverKey: encodeBase64(publicKey),
    fingerprint: await fingerprintKey(publicKey),
  }
}

function decodeBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/')
  return decodeBase64(base64 + '='.repeat((4 - (base64.length % 4)) % 4))!
}
