import type { EncryptedWebSocketClient } from '@encrypted-socket/core'
import { describe, expect, it } from 'vitest'
import { client, startServer, token, until } from './helpers'
import { useSourceSealWorker } from './sealWorkerBuild'

useSourceSealWorker()

const ROUNDS = 300
const PROTOCOLS = ['v1', 'v2', 'v1', 'v2'] as const

/** A real client in room `r` that collects `m` events; `all` resolves once `count` arrived. */
async function member(url: string, protocol: 'v1' | 'v2', user: string, count: number) {
  const c: EncryptedWebSocketClient = client(url, {
    protocol,
    token: await token(user),
    autoJoinRooms: ['r'],
  })
  const got: number[] = []
  let done = () => {}
  const all = new Promise<void>((resolve) => (done = resolve))
  c.on('m', (data) => {
    got.push((data as { k: number }).k)
    if (got.length === count) done()
  })
  await c.connect()
  return { c, got, all }
}

describe('workers: per-connection order', () => {
  it.each([0, 1, 2])(
    'workers: %i — direct sends, room messages and broadcasts, pipelined, reach v1 and v2 clients in the order the server made them',
    async (workers) => {
      const server = await startServer({ workers })
      const members = await Promise.all(
        PROTOCOLS.map((protocol, i) => member(server.url, protocol, `u${i}`, ROUNDS)),
      )
      await until(() => server.roomMembers('r').length === PROTOCOLS.length)
      const ids = server.connections().map((connection) => connection.id)
      const sends: Promise<unknown>[] = []
      for (let k = 0; k < ROUNDS; k++) {
        // sendTo and broadcast seal (or take their place) at the call; sendToRoom once the room
        // log numbered it, so it is awaited, which lets no worker answer in between (only
        // microtasks run): the direct sends after it are sealed while its frames are in the workers.
        if (k % 3 === 0) for (const id of ids) sends.push(server.sendTo(id, 'm', { k }))
        else if (k % 3 === 1) await server.sendToRoom('r', 'm', { k })
        else sends.push(server.broadcast('m', { k }))
      }
      expect((await Promise.all(sends)).every((sent) => sent === true || sent === PROTOCOLS.length)).toBe(
        true,
      )
      await Promise.all(members.map(({ all }) => all))
      const expected = Array.from({ length: ROUNDS }, (_, k) => k)
      for (const { got } of members) expect(got).toEqual(expected)
      if (workers === 0) return expect(server.sealWorkers).toBeNull()
      const fanOuts = ROUNDS - Math.ceil(ROUNDS / 3)
      expect(server.sealWorkers!.sealedThere).toBe(fanOuts * PROTOCOLS.length)
      expect(server.sealWorkers!.sealedHere).toBe(0)
    },
  )
})
