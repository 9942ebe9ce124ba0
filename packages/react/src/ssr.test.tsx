// @vitest-environment node
import { renderToString } from 'react-dom/server'
import { describe, expect, it } from 'vitest'
import { clientOptions, mockServer } from '../test/helpers'
import { EncryptedSocketProvider } from './EncryptedSocketProvider'
import { useEncryptedSocket } from './useEncryptedSocket'
import { useRoom } from './useRoom'
import { useSocketEvent } from './useSocketEvent'

describe('server rendering', () => {
  it('renders `disconnected` with no window and opens no socket', () => {
    expect(typeof window).toBe('undefined')
    const server = mockServer()
    function Page() {
      const { state, encrypted } = useEncryptedSocket()
      const room = useRoom('lobby')
      useSocketEvent('x', () => undefined)
      return <p>{`${state} ${String(encrypted)} ${room}`}</p>
    }
    const html = renderToString(
      <EncryptedSocketProvider options={clientOptions(server.url)}>
        <Page />
      </EncryptedSocketProvider>,
    )
    expect(html).toBe('<p>disconnected false left</p>')
    expect(server.connections).toHaveLength(0)
  })

  it('renders a hook that owns its client', () => {
    function Page() {
      return <p>{useEncryptedSocket(clientOptions('wss://example.com')).state}</p>
    }
    expect(renderToString(<Page />)).toBe('<p>disconnected</p>')
  })
})
