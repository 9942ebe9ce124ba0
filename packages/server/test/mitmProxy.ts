import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { createEphemeralKeys, encodeWelcome, parseWelcome } from '@encrypted-socket/core'
import WebSocket, { WebSocketServer } from 'ws'

/** What the proxy does to the next record (binary frame) in one direction, or to the upgrade. */
export type MitmFault =
  | 'drop-s2c'
  | 'reorder-s2c'
  | 'replay-s2c'
  | 'reflect-to-client'
  | 'drop-c2s'
  | 'reorder-c2s'
  | 'replay-c2s'
  | 'reflect-to-server'
  | 'strip-subprotocol'
  | 'swap-welcome'

/**
 * An active man in the middle at the WebSocket level (what a TLS-terminating proxy can do): it
 * relays frames between client and server, records every byte it sees, and injects one fault
 * when armed — drops, reorders, replays or reflects a record, strips the subprotocol offer (a
 * downgrade), or swaps the server's welcome for one with its own key.
 */
export async function startMitmProxy(target: string) {
  const captured: Buffer[] = []
  let armed: MitmFault | null = null
  const take = (fault: MitmFault) => {
    if (armed !== fault) return false
    armed = null
    return true
  }
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (_offered, request) => selected.get(request) ?? false })
  const selected = new WeakMap<IncomingMessage, string | false>()
  const http = createServer()
  http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const offered = (request.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim()).filter(Boolean)
    const strip = take('strip-subprotocol')
    const upstream = new WebSocket(target, strip ? [] : offered)
    upstream.once('error', () => socket.destroy())
    upstream.once('open', () => {
      // Stripped: the proxy answers like an echoing v1 server, and the server hears no v2 offer.
      selected.set(request, strip ? (offered[0] ?? false) : upstream.protocol || false)
      wss.handleUpgrade(request, socket, head, (client) => relay(client, upstream))
    })
  })

  function relay(client: WebSocket, upstream: WebSocket) {
    let heldS2c: Buffer | null = null
    let heldC2s: Buffer | null = null
    let welcomed = false
    upstream.on('message', async (data: Buffer, isBinary) => {
      captured.push(Buffer.from(data))
      if (!isBinary) {
        let text = data.toString('utf8')
        if (!welcomed && take('swap-welcome')) text = await swapWelcome(text)
        welcomed = true
        return send(client, text)
      }
      if (take('drop-s2c')) return
      if (take('reorder-s2c')) return void (heldS2c = data)
      send(client, data)
      if (take('replay-s2c')) send(client, data)
      if (take('reflect-to-server')) send(upstream, data)
      if (heldS2c) send(client, heldS2c.subarray())
      heldS2c = null
    })
    client.on('message', (data: Buffer, isBinary) => {
      captured.push(Buffer.from(data))
      if (!isBinary) return send(upstream, data.toString('utf8'))
      if (take('drop-c2s')) return
      if (take('reorder-c2s')) return void (heldC2s = data)
      send(upstream, data)
      if (take('replay-c2s')) send(upstream, data)
      if (take('reflect-to-client')) send(client, data)
      if (heldC2s) send(upstream, heldC2s)
      heldC2s = null
    })
    const closeBoth = (code: number, reason: Buffer) => {
      const valid = code >= 3000 || [1000, 1001, 1008, 1009, 1011, 1013].includes(code)
      for (const socket of [client, upstream]) {
        if (socket.readyState === WebSocket.OPEN) socket.close(valid ? code : 1000, reason.toString())
      }
    }
    client.on('close', closeBoth)
    upstream.on('close', closeBoth)
    client.on('error', () => upstream.terminate())
    upstream.on('error', () => client.terminate())
  }

  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  return {
    url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}`,
    /** Every frame's bytes in both directions, as the proxy saw them. */
    captured,
    /** Injects `fault` once, into the next frame it applies to. */
    arm(fault: MitmFault) {
      armed = fault
    },
    get armed() {
      return armed
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of wss.clients) socket.terminate()
        http.close(() => resolve())
      }),
  }
}

function send(socket: WebSocket, data: Buffer | string): void {
  if (socket.readyState === WebSocket.OPEN) socket.send(data)
}

/** The server's welcome with the proxy's own ephemeral key, the signature left as it was. */
async function swapWelcome(text: string): Promise<string> {
  const welcome = parseWelcome(text)
  if ('error' in welcome) return text
  const own = await createEphemeralKeys()
  return encodeWelcome({ ...welcome, serverPublicKey: own.publicKey })
}
