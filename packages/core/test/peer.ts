import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import {
  createEphemeralKeys,
  deriveSessionKey,
  encodeFrame,
  openMessage,
  parseFrame,
  sealMessage,
} from '../src/index'

/**
 * A small protocol v1 server on a real `ws` socket, for the client's integration tests (the full
 * server is @encrypted-socket/server). Tokens starting with "bad" are rejected with 1008.
 */
export interface PeerConnection {
  socket: WebSocket
  frames: string[]
  clientPublicKey: string | null
  rooms: Set<string>
  heartbeats: number
  key: CryptoKey | null
}

export async function startPeer(ecdhInfo: string, { hang = false, selectNone = false } = {}) {
  // `selectNone`: a server that answers the upgrade without selecting any offered subprotocol.
  const server = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    ...(selectNone ? { handleProtocols: () => false as const } : {}),
  })
  await new Promise<void>((resolve) => server.once('listening', resolve))
  const connections: PeerConnection[] = []

  server.on('connection', (socket) => {
    const connection: PeerConnection = {
      socket,
      frames: [],
      clientPublicKey: null,
      rooms: new Set(),
      heartbeats: 0,
      key: null,
    }
    connections.push(connection)
    let queue = Promise.resolve()
    socket.on('message', (raw) => {
      const text = raw.toString()
      connection.frames.push(text)
      queue = queue.then(() => handle(connection, text))
    })
  })

  async function handle(connection: PeerConnection, text: string): Promise<void> {
    const frame = parseFrame(text)
    const { socket } = connection
    if (frame.type === 'authenticate') {
      if (hang) return
      if (frame.token.startsWith('bad')) {
        socket.send(encodeFrame({ type: 'error', code: 401, message: 'Invalid token' }))
        socket.close(1008, 'Invalid token')
        return
      }
      connection.clientPublicKey = Buffer.from(frame.clientPublicKey).toString('base64')
      const keys = await createEphemeralKeys()
      const salt = crypto.getRandomValues(new Uint8Array(32))
      connection.key = await deriveSessionKey(keys.privateKey, frame.clientPublicKey, salt, ecdhInfo)
      socket.send(
        encodeFrame({
          type: 'connected',
          id: `c${connections.indexOf(connection)}`,
          userId: 'u1',
          time: new Date().toISOString(),
          serverPublicKey: keys.publicKey,
          salt,
        }),
      )
    } else if (frame.type === 'encrypted' && connection.key) {
      const message = await openMessage(connection.key, frame.iv, frame.ct)
      const key = connection.key
      if (message.event === 'echo') {
        socket.send((await sealMessage(key, { event: 'echo.reply', data: message.data })).frame)
      } else if (message.event === 'burst') {
        const count = message.data as number
        const sealed = await Promise.all(
          Array.from({ length: count }, (_, i) => sealMessage(key, { event: 'tick', data: i })),
        )
        for (const { frame: out } of sealed) socket.send(out)
      }
    } else if (frame.type === 'join') {
      for (const room of frame.rooms) connection.rooms.add(room)
    } else if (frame.type === 'leave') {
      for (const room of frame.rooms) connection.rooms.delete(room)
    } else if (frame.type === 'heartbeat') {
      connection.heartbeats++
    }
  }

  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections,
    /** Sockets the server still holds open. */
    openSockets: () => server.clients.size,
    /** Cuts every connection without a close frame (the client sees 1006). */
    terminateAll: () => server.clients.forEach((socket) => socket.terminate()),
    stop: () =>
      new Promise<void>((resolve) => {
        server.clients.forEach((socket) => socket.terminate())
        server.close(() => resolve())
      }),
  }
}
