import { EncryptedWebSocketClient } from '@encrypted-socket/core'
import { act, render, waitFor } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { clientOptions, mockServer } from '../test/helpers'
import { EncryptedSocketProvider } from './EncryptedSocketProvider'
import { useSocketEvent } from './useSocketEvent'

describe('useSocketEvent', () => {
  it('always calls the latest handler, once per event, and stops on unmount', async () => {
    const server = mockServer()
    const client = new EncryptedWebSocketClient(clientOptions(server.url))
    const calls: string[] = []
    function Listener({ label }: { label: string }) {
      useSocketEvent('note', (data) => calls.push(`${label}:${String(data)}`), { client })
      return null
    }
    const { rerender, unmount } = render(<Listener label="first" />, { reactStrictMode: true })
    await client.connect()
    const connection = await server.nextConnection()
    await act(() => connection.send('note', 1))
    await waitFor(() => expect(calls).toEqual(['first:1']))
    rerender(<Listener label="second" />)
    await act(() => connection.send('note', 2))
    await waitFor(() => expect(calls).toEqual(['first:1', 'second:2']))
    unmount()
    const after: unknown[] = []
    client.on('note', (data) => after.push(data))
    await act(() => connection.send('note', 3))
    await waitFor(() => expect(after).toEqual([3]))
    expect(calls).toEqual(['first:1', 'second:2'])
    client.destroy()
  })

  it('reads the client from the provider', async () => {
    const server = mockServer()
    const received: unknown[] = []
    function Listener() {
      useSocketEvent('hello', (data) => received.push(data))
      return null
    }
    render(
      <EncryptedSocketProvider options={clientOptions(server.url)}>
        <Listener />
      </EncryptedSocketProvider>,
    )
    const connection = await server.nextConnection()
    expect(connection.isAuthenticated).toBe(true)
    await act(() => connection.send('hello', 'world'))
    await waitFor(() => expect(received).toEqual(['world']))
  })
})
