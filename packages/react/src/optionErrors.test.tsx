import { render, screen } from '@testing-library/react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { EncryptedSocketProvider } from './EncryptedSocketProvider'
import { useEncryptedSocket, type UseEncryptedSocketOptions } from './useEncryptedSocket'

function Status(props: { options?: UseEncryptedSocketOptions }) {
  const s = useEncryptedSocket(props.options)
  return (
    <output data-testid="status">
      {JSON.stringify({ state: s.state, error: s.lastError?.code ?? null })}
    </output>
  )
}
const status = () => JSON.parse(screen.getByTestId('status').textContent!)

afterEach(() => vi.restoreAllMocks())

describe('a refused option renders as lastError, not a blank page', () => {
  it('useEncryptedSocket: ws:// to a remote host → disconnected with ERR_INSECURE_TRANSPORT', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    let socket!: ReturnType<typeof useEncryptedSocket>
    function Probe() {
      socket = useEncryptedSocket({ url: 'ws://chat.example.com/ws', ecdhInfo: 'react-refused' })
      return (
        <output data-testid="status">
          {JSON.stringify({ state: socket.state, error: socket.lastError?.code })}
        </output>
      )
    }
    render(<Probe />)
    expect(status()).toEqual({ state: 'disconnected', error: 'ERR_INSECURE_TRANSPORT' })
    await expect(socket.connect()).rejects.toBe(socket.lastError)
    await expect(socket.send('chat' as never, 1 as never)).rejects.toBe(socket.lastError)
    await expect(socket.reconnect()).rejects.toBe(socket.lastError)
    expect(() => socket.joinRooms(['a'])).toThrow(socket.lastError!)
    expect(() => socket.disconnect()).not.toThrow()
    expect(error).toHaveBeenCalledTimes(1)
  })

  it('the provider: ERR_INVALID_OPTION shows in every hook below', () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined)
    render(
      <EncryptedSocketProvider
        options={{ url: 'wss://example.com/ws', ecdhInfo: 'react-refused', heartbeatInterval: -1 }}
      >
        <Status />
      </EncryptedSocketProvider>,
    )
    expect(status()).toEqual({ state: 'disconnected', error: 'ERR_INVALID_OPTION' })
  })
})
