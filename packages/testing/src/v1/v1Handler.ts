// The v1 side of the mock server: one client frame at a time, the `authenticate` handshake (with
// the HandshakeMode faults), and the frames after it.
import {
  createEphemeralKeys,
  deriveSessionKey,
  encodeFrame,
  handshakeTranscript,
  openMessage,
  parseFrame,
  sealMessage,
  signTranscript,
  type ConnectedFrame,
} from '@encrypted-socket/core'
import type { Client } from 'mock-socket'
import { offCurve } from '../handshakeMode'
import type { MockConnection } from '../mockConnection'
import type { ServerContext } from '../serverContext'
import { verdictOf } from '../tokenVerdict'

export async function handleV1Frame(
  context: ServerContext,
  connection: MockConnection,
  socket: Client,
  text: string,
): Promise<void> {
  const frame = parseFrame(text)
  switch (frame.type) {
    case 'authenticate':
      return authenticate(context, connection, socket, frame.token, frame.clientPublicKey)
    case 'encrypted': {
      connection.v1Writer.lastReceived = text
      const key = connection.key
      if (!key) return void connection.errors.push('encrypted frame before the handshake')
      let message
      try {
        message = await openMessage(key, frame.iv, frame.ct)
      } catch (error) {
        return void connection.errors.push(error instanceof Error ? error.message : String(error))
      }
      connection.deliver(message)
      await context.options.onEvent?.(connection, message)
      return
    }
    case 'heartbeat':
      connection.heartbeats++
      return
    case 'join':
      for (const room of frame.rooms) {
        const refusal = context.roomRefusal(room)
        if (!refusal) connection.rooms.add(room)
        else {
          const message = `Room "${room}" refused (${refusal.code}): ${refusal.message}`
          socket.send(encodeFrame({ type: 'error', code: 'JOIN_DENIED', message, room }))
        }
      }
      return
    case 'leave':
      for (const room of frame.rooms) connection.rooms.delete(room)
      return
    case 'plaintext':
      connection.errors.push(`plaintext application event "${frame.event}"`)
      return
    case 'malformed':
      connection.errors.push(frame.reason)
      return
    default:
      connection.errors.push(`unexpected "${frame.type}" frame from a client`)
  }
}

async function authenticate(
  context: ServerContext,
  connection: MockConnection,
  socket: Client,
  token: string,
  clientPublicKey: Uint8Array<ArrayBuffer>,
): Promise<void> {
  const mode = context.mode()
  if (mode.type === 'hang') return
  const verdict = await verdictOf(mode, token, context.options.verifyToken, 'v1')
  if ('code' in verdict) {
    socket.send(encodeFrame({ type: 'error', code: verdict.errorCode, message: verdict.message }))
    socket.close({ code: verdict.code, reason: verdict.message, wasClean: true })
    return
  }
  connection.userId = verdict.userId
  const connected: ConnectedFrame = {
    type: 'connected',
    id: connection.id,
    userId: verdict.userId,
    time: new Date().toISOString(),
  }
  if (mode.type === 'without-keys') {
    socket.send(encodeFrame(connected))
    connection.setKey(null)
  } else {
    const keys = await createEphemeralKeys()
    const salt = crypto.getRandomValues(new Uint8Array(32))
    const key = await deriveSessionKey(keys.privateKey, clientPublicKey, salt, context.options.ecdhInfo)
    connected.serverPublicKey = mode.type === 'invalid-server-key' ? offCurve(keys.publicKey) : keys.publicKey
    connected.salt = mode.type === 'wrong-salt' ? crypto.getRandomValues(new Uint8Array(32)) : salt
    const identity = context.options.identity
    if (identity) {
      connected.identityKey = identity.publicKey
      connected.signature = await signTranscript(
        identity.privateKey,
        handshakeTranscript(clientPublicKey, connected.serverPublicKey, connected.salt),
      )
    }
    connection.setKey(key)
    const welcome = await Promise.all(
      (context.options.welcome?.(connection) ?? []).map((m) => sealMessage(key, m)),
    )
    socket.send(encodeFrame(connected))
    for (const { frame } of welcome) connection.sendRaw(frame)
  }
  context.authenticated(connection)
}
