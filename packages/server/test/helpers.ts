import {
  createEphemeralKeys,
  deriveSessionKey,
  encodeFrame,
  EncryptedWebSocketClient,
  openMessage,
  parseFrame,
  sealMessage,
  type ClientOptions,
} from '@encrypted-socket/core'
import { SignJWT } from 'jose'
import { afterEach, expect, vi } from 'vitest'
import WebSocket from 'ws'
import { createEncryptedSocketServer, type ServerOptions } from '../src/index'
import type { ServerLogger } from '../src/logger'

export const ECDH_INFO = 'server-test/v1'
export const SECRET = 'a-test-secret-of-at-least-32-bytes!'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})
export const onCleanup = (cleanup: () => unknown) => cleanups.push(cleanup)

/** Records every log line; after the test, checks that no token was ever logged. */
export function recordingLogger(): ServerLogger & { lines: string[] } {
  const lines: string[] = []
  const record = (message: string, fields: Record<string, unknown> = {}) =>
    lines.push(JSON.stringify({ message, ...fields }))
  return { lines, debug: record, info: record, warn: record, error: record }
}

const issuedTokens: string[] = []

/** An HS256 JWT for `sub`, signed with SECRET unless told otherwise. */
export async function token(
  sub: string | undefined,
  {
    secret = SECRET,
    expiresIn = '1h',
    notBefore,
    alg = 'HS256',
    issuer,
    audience,
  }: {
    secret?: string
    /** `null`: no `exp` claim at all. */
    expiresIn?: string | number | null
    notBefore?: string
    alg?: string
    issuer?: string
    audience?: string
  } = {},
): Promise<string> {
  let jwt = new SignJWT({}).setProtectedHeader({ alg }).setIssuedAt()
  if (expiresIn !== null) jwt = jwt.setExpirationTime(expiresIn)
  if (sub !== undefined) jwt = jwt.setSubject(sub)
  if (issuer !== undefined) jwt = jwt.setIssuer(issuer)
  if (audience !== undefined) jwt = jwt.setAudience(audience)
  if (notBefore) jwt = jwt.setNotBefore(notBefore)
  const signed = await jwt.sign(new TextEncoder().encode(secret))
  issuedTokens.push(signed)
  return signed
}

/** A server on a free port of 127.0.0.1, closed after the test. */
export async function startServer(options: Partial<ServerOptions> = {}) {
  const logger = recordingLogger()
  const server = await createEncryptedSocketServer({
    port: 0,
    ecdhInfo: ECDH_INFO,
    jwtSecret: SECRET,
    logger,
    ...options,
  })
  onCleanup(async () => {
    await server.close({ timeout: 500 })
    const logged = logger.lines.join('\n')
    for (const issued of issuedTokens) expect(logged).not.toContain(issued)
  })
  return Object.assign(server, { logger })
}

/**
 * The core client with `ws`, destroyed after the test. It speaks protocol v1 unless told
 * otherwise: these tests were written for v1, and keep v1 clients covered on a server that also
 * speaks v2 (v2Client.test.ts runs the same client over v2).
 */
export function client(url: string, options: Partial<ClientOptions> = {}) {
  const silent = { info() {}, warn() {}, error() {}, debug() {} }
  const created = new EncryptedWebSocketClient({
    url,
    ecdhInfo: ECDH_INFO,
    WebSocket,
    logger: silent,
    protocol: 'v1',
    ...options,
  })
  onCleanup(() => created.destroy())
  return created
}

/**
 * A hand-driven protocol client on a raw `ws` socket, for what the real client refuses to do:
 * replays, garbage, plaintext, oversized frames, foreign origins.
 */
export function rawClient(url: string, headers: Record<string, string> = {}) {
  const socket = new WebSocket(url, { headers })
  const received: string[] = []
  const waiters: (() => void)[] = []
  socket.on('message', (data) => {
    received.push(data.toString())
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
    socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  )
  let key: CryptoKey | null = null

  async function nextFrame(predicate: (text: string) => boolean = () => true): Promise<string> {
    for (;;) {
      const index = received.findIndex(predicate)
      if (index >= 0) return received.splice(index, 1)[0]!
      await new Promise<void>((wake) => waiters.push(wake))
    }
  }

  return {
    socket,
    opened,
    closed,
    received,
    nextFrame,
    /** The handshake by hand; resolves with the `connected` frame. */
    async authenticate(jwt: string, clientPublicKey?: Uint8Array<ArrayBuffer>) {
      await opened
      const keys = await createEphemeralKeys()
      socket.send(
        encodeFrame({ type: 'authenticate', token: jwt, clientPublicKey: clientPublicKey ?? keys.publicKey }),
      )
      const connected = parseFrame(await nextFrame())
      if (connected.type !== 'connected') return connected
      key = await deriveSessionKey(keys.privateKey, connected.serverPublicKey!, connected.salt!, ECDH_INFO)
      return connected
    },
    /** Seals and sends an application event; resolves with the frame text. */
    async send(event: string, data?: unknown): Promise<string> {
      const { frame } = await sealMessage(key!, { event, data })
      socket.send(frame)
      return frame
    },
    /** The next encrypted frame, opened. */
    async receive() {
      const frame = parseFrame(await nextFrame((text) => text.startsWith('{"event":"encrypted"')))
      if (frame.type !== 'encrypted') throw new Error('expected an encrypted frame')
      return {
        ...(await openMessage(key!, frame.iv, frame.ct)),
        ct: Buffer.from(frame.ct).toString('base64'),
      }
    },
  }
}

/** Waits (polling) until `condition` holds; generous, because CI runs every project at once on 2 cores. */
export function until(condition: () => boolean, timeout = 5000): Promise<void> {
  return vi.waitFor(
    () => {
      if (!condition()) throw new Error('condition not met yet')
    },
    { timeout },
  )
}
