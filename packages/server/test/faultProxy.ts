import { createServer, connect, type Socket } from 'node:net'

export type Fault = 'none' | 'delay' | 'split' | 'stall'

/**
 * A TCP proxy on 127.0.0.1 between client and server that can delay, split into tiny pieces,
 * stall (hold every byte, keep the sockets open) or cut the byte stream.
 */
export async function startFaultProxy(target: string) {
  const { hostname, port } = new URL(target)
  let fault: Fault = 'none'
  const pairs = new Set<[Socket, Socket]>()
  /** Server-side sockets whose client was cut by `orphan()`: they stay open until the server closes them. */
  const orphans = new Set<Socket>()
  const held: (() => void)[] = []

  const forward = (from: Socket, to: Socket) =>
    from.on('data', (chunk: Buffer) => {
      const write = () => {
        if (fault === 'split') {
          for (let i = 0; i < chunk.length; i += 3) to.write(chunk.subarray(i, i + 3))
        } else if (fault === 'delay') {
          setTimeout(() => to.write(chunk), 30)
        } else {
          to.write(chunk)
        }
      }
      if (fault === 'stall') held.push(write)
      else write()
    })

  const server = createServer((client) => {
    const upstream = connect(Number(port), hostname)
    const pair: [Socket, Socket] = [client, upstream]
    pairs.add(pair)
    forward(client, upstream)
    forward(upstream, client)
    const end = () => {
      client.destroy()
      if (!orphans.has(upstream)) upstream.destroy()
      pairs.delete(pair)
    }
    client.on('close', end).on('error', end)
    upstream.on('close', () => orphans.delete(upstream))
    upstream.on('close', end).on('error', end)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address() as { port: number }

  return {
    url: `ws://127.0.0.1:${address.port}`,
    /** Sets the fault for what flows from now on; leaving `stall` releases what was held, in order. */
    set(next: Fault) {
      fault = next
      if (next !== 'stall') held.splice(0).forEach((write) => write())
    },
    /** Cuts every connection in both directions, without a close frame. */
    cut() {
      held.length = 0
      for (const [a, b] of pairs) {
        a.destroy()
        b.destroy()
      }
    },
    /**
     * Cuts every connection on the client's side only: the server's socket stays open and hears
     * nothing more (a client gone without a FIN reaching the server), until the server closes it.
     */
    orphan() {
      held.length = 0
      for (const [a, b] of pairs) {
        orphans.add(b)
        b.removeAllListeners('data')
        b.resume()
        a.destroy()
      }
    },
    connections: () => pairs.size,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const [a, b] of pairs) {
          a.destroy()
          b.destroy()
        }
        for (const orphan of orphans) orphan.destroy()
        server.close(() => resolve())
      }),
  }
}
