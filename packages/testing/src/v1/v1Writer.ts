// What a v1 connection sends: events sealed under the session key, and the v1 faults (tampered,
// replayed, reflected frames, a second `connected`).
import {
  createEphemeralKeys,
  encodeFrame,
  parseFrame,
  sealMessage,
  type ApplicationMessage,
} from '@encrypted-socket/core'

export class V1Writer {
  /** The session key, once the handshake completed with encryption. */
  key: CryptoKey | null = null
  /** The client's last encrypted frame (what reflectLast() sends back). */
  lastReceived: string | null = null

  readonly #write: (text: string) => void
  #lastSent: string | null = null

  constructor(write: (text: string) => void) {
    this.#write = write
  }

  async send(messages: ApplicationMessage[]): Promise<void> {
    const key = this.#requireKey()
    const sealed = await Promise.all(messages.map((message) => sealMessage(key, message)))
    for (const { frame } of sealed) this.#sendEncrypted(frame)
  }

  async sendTampered(message: ApplicationMessage): Promise<void> {
    const { frame } = await sealMessage(this.#requireKey(), message)
    const parsed = parseFrame(frame)
    if (parsed.type !== 'encrypted') throw new Error('mock server: expected an encrypted frame')
    parsed.ct[0]! ^= 0x01
    this.#sendEncrypted(encodeFrame(parsed))
  }

  replayLast(): void {
    if (!this.#lastSent) throw new Error('mock server: nothing sent yet to replay')
    this.#write(this.#lastSent)
  }

  reflectLast(): void {
    if (!this.lastReceived) throw new Error('mock server: no encrypted frame received yet to reflect')
    this.#write(this.lastReceived)
  }

  async sendConnectedAgain(id: string, userId: string): Promise<void> {
    const keys = await createEphemeralKeys()
    this.#write(
      encodeFrame({
        type: 'connected',
        id,
        userId,
        time: new Date().toISOString(),
        serverPublicKey: keys.publicKey,
        salt: crypto.getRandomValues(new Uint8Array(32)),
      }),
    )
  }

  #sendEncrypted(frame: string): void {
    this.#write(frame)
    this.#lastSent = frame
  }

  #requireKey(): CryptoKey {
    if (!this.key)
      throw new Error('mock server: this connection has no session key (handshake not done, or without keys)')
    return this.key
  }
}
