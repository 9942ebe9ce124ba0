import { describe, expect, it } from 'vitest'
import { TokenExpiry } from '../src/v2/tokenExpiry'
import { client, startServer, token, until } from './helpers'
import { v2Peer, type Received } from './v2Peer'

const seconds = () => Math.floor(Date.now() / 1000)

async function readyPeer(url: string, jwt: string) {
  const peer = v2Peer(url)
  const ready = (await peer.handshake(jwt)) as Received & { expiresAt?: number }
  expect(ready).toMatchObject({ t: 'ready' })
  return Object.assign(peer, { ready })
}

describe('v2 sessions end with their token (§5)', () => {
  it('tells the expiry in ready, and a fresh token of the same user is answered token_ok with its expiry', async () => {
    const server = await startServer()
    const exp = seconds() + 120
    const ana = await readyPeer(server.url, await token('ana', { expiresIn: exp }))
    expect(ana.ready.expiresAt).toBe(exp * 1000)
    await ana.record({ t: 'token', token: await token('ana', { expiresIn: exp + 600 }) })
    expect(await ana.expect('token_ok')).toEqual({ t: 'token_ok', expiresAt: (exp + 600) * 1000 })
    expect(await server.metrics()).toContain('encrypted_socket_v2_token_refreshes_total{result="accepted"} 1')
  })

  it('ends a session whose token expired without a refresh: TOKEN_EXPIRED, close 4401', async () => {
    // The server's clock is 59.8 s ahead: the token (60 s) runs out for it in about 200 ms.
    const server = await startServer({ now: () => Date.now() + 59_800 })
    const ana = await readyPeer(server.url, await token('ana', { expiresIn: '60s' }))
    expect(await ana.expect('error')).toMatchObject({ code: 'TOKEN_EXPIRED' })
    expect(await ana.closed).toMatchObject({ code: 4401 })
    expect(await server.metrics()).toContain('encrypted_socket_v2_sessions_expired_total 1')
  })

  it('keeps a refreshed session open past the first token’s expiry', async () => {
    const server = await startServer()
    const exp = seconds() + 1
    const ana = await readyPeer(server.url, await token('ana', { expiresIn: exp }))
    await ana.record({ t: 'token', token: await token('ana', { expiresIn: '1h' }) })
    await ana.expect('token_ok')
    await until(() => Date.now() > exp * 1000 + 250, 10_000) // the first token is over
    await ana.record({ t: 'ping', n: 7 })
    expect(await ana.expect('pong')).toMatchObject({ n: 7 })
    expect(server.connections()).toHaveLength(1)
  })

  it.each([
    ['another user’s', () => token('mallory')],
    ['a forged', () => token('ana', { secret: 'another-secret-of-at-least-32-bytes!!' })],
    ['an expired', () => token('ana', { expiresIn: seconds() - 10 })],
  ])('refuses %s token: TOKEN_REFUSED, close 4401, and never logs it', async (_name, fresh) => {
    const server = await startServer()
    const ana = await readyPeer(server.url, await token('ana'))
    const jwt = await fresh()
    await ana.record({ t: 'token', token: jwt })
    expect(await ana.expect('error')).toMatchObject({ code: 'TOKEN_REFUSED' })
    expect(await ana.closed).toMatchObject({ code: 4401 })
    expect(server.logger.lines.join('\n')).not.toContain(jwt)
    expect(await server.metrics()).toContain('encrypted_socket_v2_token_refreshes_total{result="refused"} 1')
  })

  it('goes on with the current token when a fresh one cannot be checked now (identity provider down)', async () => {
    let down = false
    const server = await startServer({
      verifyToken: () => {
        if (down) throw Object.assign(new Error('fetch failed'), { code: 'ERR_JWKS_TIMEOUT' })
        return { userId: 'ana', expiresAt: Date.now() + 60_000 }
      },
    })
    const ana = await readyPeer(server.url, 'opaque-token')
    down = true
    await ana.record({ t: 'token', token: 'another-opaque-token' })
    expect(await ana.expect('error')).toMatchObject({ code: 'AUTH_UNAVAILABLE' })
    await ana.record({ t: 'ping', n: 1 })
    expect(await ana.expect('pong')).toMatchObject({ n: 1 })
    expect(await server.metrics()).toContain(
      'encrypted_socket_v2_token_refreshes_total{result="unavailable"} 1',
    )
  })
})

describe('the client refreshes its token in band (§5)', () => {
  it('sends a fresh token from getToken() before expiry, and the session outlives the first token', async () => {
    const server = await startServer({ demo: true })
    const issued: string[] = []
    const c = client(server.url, {
      protocol: 'v2',
      getToken: async () => {
        issued.push(await token('ana', { expiresIn: '3s' }))
        return issued.at(-1)!
      },
    })
    const authentications: string[] = []
    c.onLifecycle('authenticated', ({ clientId }) => authentications.push(clientId))
    await c.connect()
    const firstExpiry = (Math.floor(Date.now() / 1000) + 3) * 1000
    await until(() => issued.length === 2, 10_000) // refreshed at half the lifetime left
    await until(() => Date.now() > firstExpiry + 250, 10_000)
    const reply = new Promise((resolve) => c.on('echo.reply', resolve))
    await c.send('echo', 'still here')
    await reply
    expect(authentications).toHaveLength(1) // one connection throughout
    expect(c.getSnapshot().state).toBe('authenticated')
  })

  it('without getToken, the session ends with its token and the client gives up with ERR_REJECTED', async () => {
    const server = await startServer({ now: () => Date.now() + 59_800 })
    const c = client(server.url, { protocol: 'v2', token: await token('ana', { expiresIn: '60s' }) })
    await c.connect()
    await until(() => c.getSnapshot().state === 'disconnected')
    expect(c.getSnapshot().lastError).toMatchObject({ code: 'ERR_REJECTED' })
  })

  it('when the refresh fails, reconnects at the expiry with a fresh token and resumes the session', async () => {
    const server = await startServer({ now: () => Date.now() + 59_800 })
    let calls = 0
    const c = client(server.url, {
      protocol: 'v2',
      getToken: async () => {
        if (++calls === 2) throw new Error('identity provider hiccup')
        return token('ana', { expiresIn: calls === 1 ? '60s' : '1h' })
      },
    })
    await c.connect()
    const { clientId } = c.getSnapshot()
    await until(() => c.getSnapshot().state === 'authenticated' && c.getSnapshot().clientId !== clientId)
    expect(c.getSnapshot().resumed).toBe(true)
    expect(calls).toBe(3)
  })
})

describe('TokenExpiry', () => {
  it('fires once at the expiry, is moved by a new one, and does not fire once stopped or without one', async () => {
    const fired: string[] = []
    const expiry = new TokenExpiry(() => fired.push('expired'), Date.now)
    expiry.set(Date.now() + 10)
    expiry.set(undefined) // a fresh token without exp
    expiry.set(Date.now() + 20)
    await until(() => fired.length === 1)
    expiry.set(Date.now() + 5)
    expiry.stop()
    expiry.set(Date.now() - 1) // already past: at once
    await until(() => fired.length === 2)
    expect(fired).toEqual(['expired', 'expired'])
  })

  it('waits in steps when the expiry is beyond what one timer can hold', async () => {
    let now = 0
    const fired: number[] = []
    const expiry = new TokenExpiry(
      () => fired.push(now),
      () => now,
    )
    expiry.set(2 ** 31 + 5) // a timer of 2^31 ms would fire at once
    expiry.stop()
    expect(fired).toEqual([])
    now = 2 ** 31
    expiry.set(2 ** 31 + 5)
    await until(() => fired.length === 1)
  })
})
