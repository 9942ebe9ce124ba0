// Test helper (not exported): a minimal v2 client made of core's building blocks, doing what the
// real client does and no more, so the mock's records can be checked one counter at a time.
import {
  clientRecordKeys,
  createEphemeralKeys,
  encodeHello,
  encodeRecordPlaintext,
  openRecord,
  parseWelcome,
  PROTOCOL_V1,
  PROTOCOL_V2,
  readMessage,
  sealRecord,
  verifyTranscript,
  welcomeSignedBytes,
  type EphemeralKeys,
  type RecordKeys,
  type ServerMessage,
  type Welcome,
} from '@encrypted-socket/core'
import { RawSocket } from './rawSocket'

export const ECDH_INFO = 'testing-v2'

/** What a client concludes about a welcome: a violation (4001) or a server-auth failure (4005). */
export class WelcomeRefused extends Error {
  constructor(
    readonly code: 'ERR_PROTOCOL' | 'ERR_SERVER_AUTH',
    message: string,
  ) {
    super(message)
  }
}

/** Checks a welcome as §2.2 says: its shape, and with a pin the identity, signature and clock. */
export async function checkWelcome(
  text: string,
  pin?: Uint8Array<ArrayBuffer>,
  now = Date.now(),
): Promise<Welcome> {
  const welcome = parseWelcome(text)
  if ('error' in welcome) throw new WelcomeRefused('ERR_PROTOCOL', welcome.error)
  if (!pin) return welcome
  const { identityKey, signature, serverPublicKey, salt, validUntil } = welcome
  if (!identityKey || !signature) throw new WelcomeRefused('ERR_SERVER_AUTH', 'the welcome is not signed')
  if (!sameBytes(identityKey, pin)) throw new WelcomeRefused('ERR_SERVER_AUTH', 'not the pinned identity')
  try {
    await verifyTranscript(identityKey, signature, welcomeSignedBytes(serverPublicKey, salt, validUntil))
  } catch {
    throw new WelcomeRefused('ERR_SERVER_AUTH', 'the signature does not verify')
  }
  if (validUntil < now - 5 * 60_000 || validUntil > now + 10 * 60_000) {
    throw new WelcomeRefused('ERR_SERVER_AUTH', 'validUntil is too far from the device clock')
  }
  return welcome
}

export interface ConnectOptions {
  token?: string
  pin?: Uint8Array<ArrayBuffer>
  resume?: unknown
  ecdhInfo?: string
}

export class RawV2Client {
  readonly raw: RawSocket
  readonly welcomeText: string
  readonly welcome: Welcome
  readonly keys: RecordKeys
  readonly own: EphemeralKeys
  /** The next counters: s2c expected, c2s to seal. */
  received = 0
  sent = 0
  /** The last record bytes that arrived (also when they did not open). */
  lastRecord: Uint8Array<ArrayBuffer> | null = null
  /** The last record bytes this client sent. */
  lastSent: Uint8Array<ArrayBuffer> | null = null

  private constructor(
    raw: RawSocket,
    welcomeText: string,
    welcome: Welcome,
    keys: RecordKeys,
    own: EphemeralKeys,
  ) {
    this.raw = raw
    this.welcomeText = welcomeText
    this.welcome = welcome
    this.keys = keys
    this.own = own
  }

  /** Opens a socket offering v1 and v2 and takes the welcome; the hello is not sent yet. */
  static async start(url: string, options: ConnectOptions = {}): Promise<RawV2Client> {
    const raw = await RawSocket.open(url, [PROTOCOL_V1, PROTOCOL_V2])
    if (raw.protocol !== PROTOCOL_V2) throw new Error(`the server selected "${raw.protocol}"`)
    const text = await raw.nextText()
    const welcome = await checkWelcome(text, options.pin)
    const own = await createEphemeralKeys()
    const keys = await clientRecordKeys(
      own.privateKey,
      own.publicKey,
      text,
      welcome.serverPublicKey,
      welcome.salt,
      options.ecdhInfo ?? ECDH_INFO,
    )
    return new RawV2Client(raw, text, welcome, keys, own)
  }

  /** The whole handshake: welcome, hello + auth, and record #0 (`ready`, or the refusal). */
  static async connect(
    url: string,
    options: ConnectOptions = {},
  ): Promise<{ client: RawV2Client; first: ServerMessage }> {
    const client = await RawV2Client.start(url, options)
    await client.hello(options.token ?? 'token', options.resume)
    return { client, first: await client.nextMessage() }
  }

  /** Sends the hello and record #0, the `auth`. */
  async hello(token: string, resume?: unknown): Promise<void> {
    this.raw.send(encodeHello(this.own.publicKey))
    await this.sendMessage({ t: 'auth', token, ...(resume !== undefined && { resume }) })
  }

  /** Seals the next c2s record. */
  async sendMessage(message: object, attachment?: Uint8Array): Promise<void> {
    const record = await this.seal(message, attachment)
    this.sendRecord(record)
  }

  /** Seals the next c2s record without sending it. */
  seal(message: object, attachment?: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
    return sealRecord(this.keys.c2s, this.sent++, encodeRecordPlaintext(JSON.stringify(message), attachment))
  }

  sendRecord(record: Uint8Array<ArrayBuffer>): void {
    this.lastSent = record
    this.raw.send(record)
  }

  /** The next record's bytes, not opened (the counter does not move). */
  async nextRecord(): Promise<Uint8Array<ArrayBuffer>> {
    this.lastRecord = await this.raw.nextBytes()
    return this.lastRecord
  }

  /** Opens the next record with the next s2c counter, as the client does: ERR_DECRYPT when it fails. */
  async nextMessage(): Promise<ServerMessage> {
    const record = await this.nextRecord()
    return this.open(record, this.received++)
  }

  /** Opens a record with counter `n` (and the s2c key unless told). */
  async open(record: Uint8Array<ArrayBuffer>, n: number, key = this.keys.s2c): Promise<ServerMessage> {
    const read = readMessage(await openRecord(key, n, record), 'server')
    if (read.type !== 'message') throw new Error(`record ${n} holds no valid message`)
    return read.message
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i])
}
