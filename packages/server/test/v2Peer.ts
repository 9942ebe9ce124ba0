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
  type EphemeralKeys,
  type RecordKeys,
  type ResumeRequest,
  type ServerMessage,
  type Welcome,
} from '@encrypted-socket/core'
import WebSocket from 'ws'
import { ECDH_INFO, onCleanup } from './helpers'

export interface V2PeerOptions {
  /** Offered subprotocols. @default ['encrypted-socket.v1', 'encrypted-socket.v2'] (what a v2 client offers) */
  protocols?: string[]
  ecdhInfo?: string
  /** The client's key pair (the vectors'). @default a fresh one */
  keys?: EphemeralKeys
  headers?: Record<string, string>
  /** The first record number in each direction (the server's `initialRecordCounter`). */
  start?: number
}

/** What a message carries once read: `data` is a Uint8Array when it came as an attachment. */
export type Received = ServerMessage & Record<string, unknown>

/**
 * A hand-driven v2 client on a raw `ws` socket, built on core's v2 building blocks and Web Crypto
 * (not on the server's code): the handshake step by step, records sealed and opened in order, and
 * whatever a real client refuses to do (replays, reflections, gaps, text after the hello…).
 */
export function v2Peer(url: string, options: V2PeerOptions = {}) {
  const protocols = options.protocols ?? [PROTOCOL_V1, PROTOCOL_V2]
  const ecdhInfo = options.ecdhInfo ?? ECDH_INFO
  const socket = new WebSocket(url, protocols, { headers: options.headers })
  const inbox: (string | Buffer)[] = []
  const waiters: (() => void)[] = []
  /** Every frame received, in order (records as their bytes). */
  const frames: (string | Buffer)[] = []
  socket.on('message', (data: Buffer, isBinary) => {
    const frame = isBinary ? data : data.toString('utf8')
    frames.push(frame)
    inbox.push(frame)
    waiters.splice(0).forEach((wake) => wake())
  })
  socket.on('error', () => undefined)
  onCleanup(() => socket.terminate())
  const opened = new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve())
    socket.once('unexpected-response', (_request, response) =>
      reject(new Error(`HTTP ${response.statusCode}`)),
    )
    socket.once('error', reject)
  })
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.once('close', (code, reason) => {
      resolve({ code, reason: reason.toString() })
      waiters.splice(0).forEach((wake) => wake())
    }),
  )

  let welcomeText: string | null = null
  let welcome: Welcome | null = null
  let clientKeys: EphemeralKeys | null = options.keys ?? null
  let recordKeys: RecordKeys | null = null
  let sent = options.start ?? 0
  let received = options.start ?? 0
  /** Messages opened while looking for another one. */
  const skipped: Received[] = []

  /** The next frame, or null once the socket closed with nothing left. */
  async function nextFrame(): Promise<string | Buffer | null> {
    for (;;) {
      if (inbox.length > 0) return inbox.shift()!
      if (socket.readyState === socket.CLOSED) return null
      await new Promise<void>((wake) => waiters.push(wake))
    }
  }

  const peer = {
    socket,
    opened,
    closed,
    frames,
    skipped,
    get welcomeText() {
      return welcomeText
    },
    get welcome() {
      return welcome
    },
    get publicKey() {
      return clientKeys!.publicKey
    },

    /** Waits for the welcome and checks its shape. */
    async readWelcome(): Promise<Welcome> {
      const frame = await nextFrame()
      if (typeof frame !== 'string')
        throw new Error(`expected the welcome, got ${frame === null ? 'a close' : 'a record'}`)
      const parsed = parseWelcome(frame)
      if ('error' in parsed) throw new Error(`bad welcome: ${parsed.error}`)
      welcomeText = frame
      welcome = parsed
      return parsed
    },

    /** Sends the hello (with `clientPublicKey` instead of its own when given) and derives the keys. */
    async hello(clientPublicKey?: Uint8Array<ArrayBuffer>): Promise<void> {
      if (!welcome) await peer.readWelcome()
      clientKeys ??= await createEphemeralKeys()
      recordKeys = await clientRecordKeys(
        clientKeys.privateKey,
        clientKeys.publicKey,
        welcomeText!,
        welcome!.serverPublicKey,
        welcome!.salt,
        ecdhInfo,
      )
      socket.send(encodeHello(clientPublicKey ?? clientKeys.publicKey))
    },

    /** Seals the next c2s record; resolves with its bytes once sent (unless `send: false`). */
    async record(message: object | string, attachment?: Uint8Array, { send = true } = {}): Promise<Buffer> {
      const json = typeof message === 'string' ? message : JSON.stringify(message)
      return peer.sealPlaintext(encodeRecordPlaintext(json, attachment), { send })
    },

    /** Seals any plaintext as the next c2s record (e.g. a JSON length that runs past it). */
    async sealPlaintext(plaintext: Uint8Array<ArrayBuffer>, { send = true } = {}): Promise<Buffer> {
      const bytes = Buffer.from(await sealRecord(recordKeys!.c2s, sent++, plaintext))
      if (send) socket.send(bytes, { binary: true })
      return bytes
    },

    /** The next s2c record, opened and read; null when the socket closed first. */
    async next(): Promise<Received | null> {
      const frame = await nextFrame()
      if (frame === null) return null
      if (typeof frame === 'string') throw new Error(`expected a record, got text: ${frame}`)
      const plaintext = await openRecord(recordKeys!.s2c, received++, new Uint8Array(frame))
      const read = readMessage(plaintext, 'server')
      if (read.type !== 'message')
        throw new Error(`the server sent ${read.type === 'unknown' ? 'an unknown t' : read.reason}`)
      return read.message as Received
    },

    /** The next message of type `t` (others opened on the way are kept in `skipped`); null on close. */
    async expect<T extends string>(t: T): Promise<(Received & { t: T }) | null> {
      for (;;) {
        const message = await peer.next()
        if (message === null) return null
        if (message.t === t) return message as Received & { t: T }
        skipped.push(message)
      }
    },

    /** welcome → hello → record #0 `auth` (with `resume` when given) → the first s2c record (`ready`, or an `error`). */
    async handshake(token: string, resume?: ResumeRequest): Promise<Received | null> {
      await opened
      await peer.hello()
      await peer.record({ t: 'auth', token, ...(resume ? { resume } : {}) })
      return peer.next()
    },

    /** Whether only records followed the welcome and hello (text frames were only the welcome). */
    textFrames(): string[] {
      return frames.filter((frame): frame is string => typeof frame === 'string')
    },
  }
  return peer
}

export type V2Peer = ReturnType<typeof v2Peer>
