// The v2 welcome of one connection (PROTOCOL-v2.md §2): a fresh ephemeral key and salt, signed
// when the server has an identity, and the frames that carry it, with a WelcomeFault applied.
import {
  createEphemeralKeys,
  encodeWelcome,
  generateServerIdentity,
  signTranscript,
  WELCOME_LIFETIME,
  welcomeSignedBytes,
  type Welcome,
} from '@encrypted-socket/core'
import { offCurve, type WelcomeFault } from '../handshakeMode'
import type { ServerIdentity } from '../serverOptions'

export interface PreparedWelcome {
  /** What goes on the wire, in order (text frames and binary ones). */
  frames: (string | Uint8Array<ArrayBuffer>)[]
  /** The first welcome's exact text: it enters the transcript hash. */
  text: string
  /** The server's ephemeral private key. */
  privateKey: CryptoKey
  /** The salt the record keys are derived with. */
  salt: Uint8Array<ArrayBuffer>
}

const MINUTE = 60_000
const random = (length: number) => crypto.getRandomValues(new Uint8Array(length))

export async function prepareWelcome(
  fault: WelcomeFault | null,
  identity: ServerIdentity | undefined,
  now = Date.now(),
): Promise<PreparedWelcome> {
  const keys = await createEphemeralKeys()
  const salt = random(32)
  const validUntil =
    fault === 'stale' ? now - 6 * MINUTE : fault === 'future' ? now + 11 * MINUTE : now + WELCOME_LIFETIME
  const welcome: Welcome = {
    serverPublicKey: fault === 'bad-key' ? offCurve(keys.publicKey) : keys.publicKey,
    salt: fault === 'bad-salt' ? random(31) : fault === 'wrong-salt' ? random(32) : salt,
    validUntil,
  }
  const signer = await signerFor(fault, identity)
  if (signer) {
    welcome.identityKey = signer.advertised
    welcome.signature = await signTranscript(
      signer.privateKey,
      welcomeSignedBytes(welcome.serverPublicKey, welcome.salt, validUntil),
    )
  }
  const text = rewrite(encodeWelcome(welcome), fault)
  const frames: PreparedWelcome['frames'] =
    fault === 'none'
      ? []
      : fault === 'binary-first'
        ? [random(32), text]
        : fault === 'second-welcome'
          ? [text, (await prepareWelcome(null, identity)).text]
          : [text]
  return { frames, text, privateKey: keys.privateKey, salt }
}

/** Who signs, and which identity key the welcome names. */
async function signerFor(
  fault: WelcomeFault | null,
  identity: ServerIdentity | undefined,
): Promise<{ privateKey: CryptoKey; advertised: Uint8Array<ArrayBuffer> } | null> {
  if (fault === 'forged-signature' || fault === 'other-identity') {
    const other = await generateServerIdentity()
    const advertised = fault === 'forged-signature' && identity ? identity.publicKey : other.publicKey
    return { privateKey: other.privateKey, advertised }
  }
  if (!identity || fault === 'unsigned') return null
  return { privateKey: identity.privateKey, advertised: identity.publicKey }
}

function rewrite(text: string, fault: WelcomeFault | null): string {
  if (fault === 'fractional-valid-until') return text.replace(/("validUntil":)(\d+)/, '$1$2.0')
  if (fault !== 'without-keys' && fault !== 'bad-version') return text
  const frame = JSON.parse(text) as { data: Record<string, unknown> }
  if (fault === 'bad-version') frame.data['v'] = 3
  else {
    delete frame.data['serverPublicKey']
    delete frame.data['salt']
  }
  return JSON.stringify(frame)
}
