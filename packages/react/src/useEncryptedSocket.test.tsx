import { EncryptedWebSocketClient } from '@encrypted-socket/core'
import { act, render, screen, waitFor } from '@testing-library/react'
import { describe, expect, it, vi } from 'vitest'
import { clientOptions, mockServer } from '../test/helpers'
import { EncryptedSocketProvider } from './EncryptedSocketProvider'
import { useEncryptedSocket, type UseEncryptedSocketOptions } from './useEncryptedSocket'
import { useSocketEvent } from './useSocketEvent'

function Status(props: { options?: UseEncryptedSocketOptions }) {
  const s = useEncryptedSocket(props.options)
  return (
    <output data-testid="status">
      {JSON.stringify({
        state: s.state,
        clientId: s.clientId,
        userId: s.userId,
        encrypted: s.encrypted,
        retryCount: s.retryCount,
        waiting: s.nextRetryAt !== null,
        error: s.lastError?.code ?? null,
        rooms: s.rooms,
      })}
    </output>
  )
}
const status = () => JSON.parse(screen.getByTestId('status').textContent!)

describe('useEncryptedSocket', () => {
  it('shows every field through connecting, authenticated, reconnecting and rejected', async () => {
    const server = mockServer()
    const seen = new Set<string>()
    const options = clientOptions(server.url, {
      autoJoinRooms: ['lobby'],
      reconnect: { interval: 300, jitter: 'none' },
    })
    function Spy() {
      seen.add(useEncryptedSocket().state)
      return null
    }
    render(
      <EncryptedSocketProvider options={options}>
        <Status />
        <Spy />
      </EncryptedSocketProvider>,
    )
    expect(status()).toMatchObject({
      state: 'connecting',
      clientId: null,
      encrypted: false,
      rooms: ['lobby'],
    })
    await waitFor(() => expect(status().state).toBe('authenticated'))
    const connection = await server.nextConnection()
    expect(status()).toMatchObject({
      clientId: connection.id,
      userId: 'user',
      encrypted: true,
      retryCount: 0,
      error: null,
    })
    expect(seen).toEqual(new Set(['disconnected', 'connecting', 'authenticating', 'authenticated']))

    server.rejectAuthentication({ code: 4401 }) // the next attempt, 300 ms after the drop
    act(() => connection.drop(1006))
    await waitFor(() =>
      expect(status()).toMatchObject({
        state: 'reconnecting',
        waiting: true,
        encrypted: false,
        error: 'ERR_CONNECTION_CLOSED',
      }),
    )
    await waitFor(() =>
      expect(status()).toMatchObject({ state: 'disconnected', error: 'ERR_REJECTED', waiting: false }),
    )
  })

  it('opens exactly one socket under StrictMode and leaves none after unmount', async () => {
    const server = mockServer()
    const { unmount } = render(<Status options={clientOptions(server.url)} />, { reactStrictMode: true })
    await waitFor(() => expect(status().state).toBe('authenticated'))
    expect(server.connections).toHaveLength(1)
    unmount()
    await waitFor(() => expect(server.openConnections()).toHaveLength(0))
    expect(server.connections).toHaveLength(1)
  })

  it('never destroys a client it was given', async () => {
    const server = mockServer()
    const client = new EncryptedWebSocketClient({ ...clientOptions(server.url) })
    await client.connect()
    const { unmount } = render(<Status options={{ client }} />, { reactStrictMode: true })
    expect(status().state).toBe('authenticated')
    unmount()
    await new Promise<void>((resolve) => queueMicrotask(resolve))
    expect(client.isConnected()).toBe(true)
    client.destroy()
  })

  it('throws a clear error without options, client or provider', () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined)
    expect(() => render(<Status />)).toThrow(
      'useEncryptedSocket needs options, { client }, or an <EncryptedSocketProvider> above it.',
    )
  })

  it('keeps function identities stable across renders', async () => {
    const server = mockServer()
    const seen: unknown[][] = []
    function Actions() {
      const { send, request, joinRooms, leaveRooms, connect, reconnect, disconnect, client, state } =
        useEncryptedSocket(clientOptions(server.url))
      seen.push([send, request, joinRooms, leaveRooms, connect, reconnect, disconnect, client, state])
      return null
    }
    render(<Actions />)
    await waitFor(() => expect(seen.at(-1)?.[8]).toBe('authenticated'))
    expect(seen.length).toBeGreaterThan(2)
    for (const row of seen) expect(row.slice(0, 8)).toEqual(seen[0]!.slice(0, 8))
  })

  it('reconnects to the new server when the url changes, and closes the old connection', async () => {
    const a = mockServer()
    const b = mockServer()
    const { rerender } = render(<Status options={clientOptions(a.url)} />)
    await waitFor(() => expect(status().state).toBe('authenticated'))
    rerender(<Status options={clientOptions(b.url)} />)
    await waitFor(() => expect(b.connections).toHaveLength(1))
    await waitFor(() => expect(status().state).toBe('authenticated'))
    await waitFor(() => expect(a.openConnections()).toHaveLength(0))
  })

  it('uses a changed token at the next attempt without reconnecting', async () => {
    const tokens: string[] = []
    const server = mockServer({ verifyToken: (token: string) => (tokens.push(token), 'u') })
    const options = (token: string) =>
      clientOptions(server.url, { token, reconnect: { interval: 1, jitter: 'none' } })
    const { rerender } = render(<Status options={options('first')} />)
    await waitFor(() => expect(status().state).toBe('authenticated'))
    rerender(<Status options={options('second')} />)
    expect(server.connections).toHaveLength(1)
    act(() => server.connections[0]!.drop(1006))
    await waitFor(() => expect(tokens).toEqual(['first', 'second']))
  })

  it('connects only while enabled', async () => {
    const server = mockServer()
    const { rerender } = render(<Status options={clientOptions(server.url, { enabled: false })} />)
    expect(status().state).toBe('disconnected')
    expect(server.connections).toHaveLength(0)
    rerender(<Status options={clientOptions(server.url, { enabled: true })} />)
    await waitFor(() => expect(status().state).toBe('authenticated'))
    rerender(<Status options={clientOptions(server.url, { enabled: false })} />)
    await waitFor(() => expect(status().state).toBe('disconnected'))
    await waitFor(() => expect(server.openConnections()).toHaveLength(0))
  })

  it('connects with the new token when the token and enabled change in one render', async () => {
    const tokens: string[] = []
    const server = mockServer({ verifyToken: (token: string) => (tokens.push(token), 'u') })
    const { rerender } = render(
      <Status options={clientOptions(server.url, { token: undefined, enabled: false })} />,
    )
    rerender(<Status options={clientOptions(server.url, { token: 'fresh', enabled: true })} />)
    await waitFor(() => expect(status().state).toBe('authenticated'))
    expect(tokens).toEqual(['fresh'])
  })

  it('destroys its own client when the page goes away (pagehide)', async () => {
    const server = mockServer()
    render(<Status options={clientOptions(server.url)} />)
    await waitFor(() => expect(status().state).toBe('authenticated'))
    act(() => {
      window.dispatchEvent(new Event('pagehide'))
    })
    await waitFor(() => expect(server.openConnections()).toHaveLength(0))
    expect(status().state).toBe('disconnected')
  })
})

describe('render cost', () => {
  it('does not re-render a component reading only `state` across 1,000 incoming events', async () => {
    const server = mockServer()
    const renders = { status: 0, listener: 0 }
    let received = 0
    function StateOnly() {
      renders.status++
      return <p data-testid="state">{useEncryptedSocket().state}</p>
    }
    function Listener() {
      renders.listener++
      useSocketEvent('tick', () => {
        received++
      })
      return null
    }
    render(
      <EncryptedSocketProvider options={clientOptions(server.url)}>
        <StateOnly />
        <Listener />
      </EncryptedSocketProvider>,
    )
    await waitFor(() => expect(screen.getByTestId('state').textContent).toBe('authenticated'))
    const connection = await server.nextConnection()
    const before = { ...renders }
    await act(async () => {
      await connection.sendBurst(1000, 'tick')
      await waitFor(() => expect(received).toBe(1000))
    })
    expect(renders).toEqual(before)
  })

  it.each(['v1', 'v2'] as const)(
    'does not re-render for fields it does not read (retryCount, lastError) (%s)',
    async (protocol) => {
      const server = mockServer({ protocol })
      // Every attempt is refused with a close that is retried: retryCount and lastError change at each.
      server.rejectAuthentication({ code: 1011, errorCode: 'UNAVAILABLE' })
      const client = new EncryptedWebSocketClient(
        clientOptions(server.url, { reconnect: { interval: 1, jitter: 'none', maxRetries: 3 } }),
      )
      let renders = 0
      function UserOnly() {
        renders++
        const { userId } = useEncryptedSocket()
        return <p data-testid="user">{String(userId)}</p>
      }
      render(
        <EncryptedSocketProvider client={client}>
          <UserOnly />
        </EncryptedSocketProvider>,
      )
      const before = renders
      const gaveUp = new Promise((resolve) => client.onLifecycle('reconnect_failed', resolve))
      await act(async () => {
        void client.connect().catch(() => undefined)
        await gaveUp
      })
      expect(server.connections).toHaveLength(4)
      expect(client.getSnapshot().lastError?.code).toBe('ERR_RETRIES_EXHAUSTED')
      expect(renders).toBe(before)
      client.destroy()
    },
  )

  it('v1: does not re-render for lastError when a tampered frame is dropped', async () => {
    const server = mockServer({ protocol: 'v1' })
    let renders = 0
    function UserOnly() {
      renders++
      const { userId } = useEncryptedSocket()
      return <p data-testid="user">{userId}</p>
    }
    function LastError() {
      return <p data-testid="error">{useEncryptedSocket().lastError?.code}</p>
    }
    render(
      <EncryptedSocketProvider options={clientOptions(server.url)}>
        <UserOnly />
        <LastError />
      </EncryptedSocketProvider>,
    )
    await waitFor(() => expect(screen.getByTestId('user').textContent).toBe('user'))
    const connection = await server.nextConnection()
    const before = renders
    // A tampered frame changes lastError in the snapshot; UserOnly does not read it.
    await act(() => connection.sendTampered('x'))
    await waitFor(() => expect(screen.getByTestId('error').textContent).toBe('ERR_DECRYPT'))
    expect(screen.getByTestId('user').textContent).toBe('user')
    expect(renders).toBe(before)
  })
})

describe('reconnect', () => {
  it('is stable across renders and replaces the connection with a fresh one', async () => {
    const server = mockServer()
    const seen: { reconnect: () => Promise<void>; clientId: string | null }[] = []
    function Actions() {
      const { reconnect, clientId } = useEncryptedSocket(clientOptions(server.url))
      seen.push({ reconnect, clientId })
      return null
    }
    render(<Actions />)
    await waitFor(() => expect(seen.at(-1)?.clientId).not.toBeNull())
    const first = seen.at(-1)!.clientId
    await act(() => seen.at(-1)!.reconnect())
    await waitFor(() => expect(seen.at(-1)?.clientId).not.toBeNull())
    expect(seen.at(-1)!.clientId).not.toBe(first)
    expect(server.connections).toHaveLength(2)
    for (const row of seen) expect(row.reconnect).toBe(seen[0]!.reconnect)
  })
})
