import type { WebSocket } from 'ws'
import { SERVER_CLOSE } from './closeCodes'
import type { ServerConnection } from './connection'

/** `drain()`'s and the CLI's `--drain-timeout` default, in ms. */
export const DEFAULT_DRAIN_TIMEOUT = 10_000

/**
 * The connections' part of a drain, all within `timeout` ms: nothing more from any client is
 * handled; what was taken is handled, acknowledged and written through; then v2 clients are closed
 * with 1012 (they resume their session elsewhere at once) and v1 clients with 1001. Sockets still
 * open at the deadline are cut. Resolves once every socket closed, with how many were cut.
 */
export async function drainConnections(
  connections: () => Iterable<ServerConnection>,
  sockets: () => Iterable<WebSocket>,
  timeout: number,
): Promise<{ cut: number }> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeout)))
  try {
    await Promise.race([Promise.all([...connections()].map((connection) => connection.drain())), deadline])
    for (const connection of connections()) {
      const code = connection.protocol === 2 ? SERVER_CLOSE.SERVICE_RESTART : SERVER_CLOSE.GOING_AWAY
      connection.close(code, 'Server restarting')
    }
    // Sockets without a connection: refused ones, closing already.
    for (const socket of sockets()) socket.close(SERVER_CLOSE.GOING_AWAY, 'Server restarting')
    await Promise.race([Promise.all([...sockets()].map(closed)), deadline])
  } finally {
    clearTimeout(timer)
  }
  const late = [...sockets()].filter((socket) => socket.readyState !== socket.CLOSED)
  for (const socket of late) socket.terminate()
  await Promise.all(late.map(closed))
  return { cut: late.length }
}

function closed(socket: WebSocket): Promise<void> {
  if (socket.readyState === socket.CLOSED) return Promise.resolve()
  return new Promise((resolve) => socket.once('close', () => resolve()))
}
