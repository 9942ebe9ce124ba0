import { createEphemeralKeys, encodeFrame } from '@encrypted-socket/core'
import { describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { client, startServer, token, until } from './helpers'

// A short version of bench/abuse.mjs (10,000 attempts there): the server refuses what it should,
// keeps serving a good client, and keeps nothing from the attackers.
describe('the server under abuse', () => {
  it(
    'refuses bad tokens, oversized frames, silent sockets and a flood while a good client keeps chatting',
    { timeout: 60_000 },
    async () => {
      const server = await startServer({
        demo: true,
        authTimeout: 1500, // long enough that a loaded machine still answers bad tokens with 1008
        maxPayload: 64 * 1024,
        // The good client's 51 messages fit in the burst; the flooder's 1,000 barely refill it.
        rateLimit: { perSecond: 5, burst: 100 },
        // Every attacker here shares 127.0.0.1 with the good client: the per-address caps are
        // tested on their own (attacks.test.ts).
        handshakeRate: { perSecond: 1000, burst: 1000 },
      })
      const good = client(server.url, { token: await token('good') })
      const replies: number[] = []
      good.on('echo.reply', (n) => replies.push(n as number))
      await good.connect()
      const keys = await createEphemeralKeys()

      const attempt = async (send: (socket: WebSocket) => void) => {
        const socket = new WebSocket(server.url)
        socket.on('error', () => undefined)
        await new Promise((resolve) => socket.once('open', resolve))
        send(socket)
        return new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)))
      }
      const badToken = () =>
        attempt((socket) =>
          socket.send(
            encodeFrame({ type: 'authenticate', token: 'bad.token.value', clientPublicKey: keys.publicKey }),
          ),
        )
      const codes: number[] = []
      let sent = 0
      await Promise.all([
        ...Array.from({ length: 20 }, async () => {
          for (let i = 0; i < 15; i++) codes.push(await badToken())
        }),
        ...Array.from({ length: 10 }, async () =>
          codes.push(await attempt((socket) => socket.send('x'.repeat(64 * 1024 + 1)))),
        ),
        ...Array.from({ length: 30 }, async () => codes.push(await attempt(() => undefined))),
        (async () => {
          for (let i = 0; i < 50; i++) await good.send('echo', sent++)
        })(),
      ])
      const flooder = client(server.url, { token: await token('flooder') })
      await flooder.connect()
      for (let i = 0; i < 1000; i++) flooder.send('echo', i).catch(() => undefined)
      await until(() => server.drops.rateLimited >= 800, 10_000)
      await good.send('echo', sent++)

      await until(() => replies.length === sent, 5000)
      expect(replies).toEqual(Array.from({ length: sent }, (_, i) => i))
      expect(codes.filter((code) => code === 1008)).toHaveLength(300)
      expect(codes.filter((code) => code === 1009)).toHaveLength(10)
      expect(codes.filter((code) => code === 4408)).toHaveLength(30)
      flooder.destroy()
      await until(() => server.connections().length === 1, 5000)
      expect(server.connections()[0]!.userId).toBe('good')
    },
  )
})
