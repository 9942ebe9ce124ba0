import { describe, expect, it } from 'vitest'
import { client, startServer, token, until } from './helpers'

describe('graceful shutdown', () => {
  it('closes clients with 1001; they reconnect to the next instance on the same address', async () => {
    const first = await startServer()
    const port = Number(new URL(first.url).port)
    const c = client(first.url, {
      token: await token('u'),
      autoJoinRooms: ['lobby'],
      reconnect: { interval: 50, jitter: 'none', maxRetries: 20 },
    })
    const closes: number[] = []
    c.onLifecycle('error', (error) => closes.push(error.closeCode ?? 0))
    await c.connect()
    const firstId = c.getClientId()
    await first.close()
    expect(closes[0]).toBe(1001)
    expect(c.getState()).toBe('reconnecting')
    const second = await startServer({ port })
    await until(() => c.isConnected())
    expect(c.getClientId()).not.toBe(firstId)
    await until(() => second.roomMembers('lobby').length === 1)
    expect(second.url).toBe(first.url)
  })

  it('refuses new upgrades while closing and resolves once every socket is gone', async () => {
    const server = await startServer()
    const c = client(server.url, { token: await token('u'), reconnect: { enabled: false } })
    await c.connect()
    await server.close()
    expect(server.connections()).toEqual([])
    expect(c.getSnapshot().lastError).toMatchObject({ closeCode: 1001 })
  })
})
