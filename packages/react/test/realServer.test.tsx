// The built package (dist, through its exports map) against the real server over real sockets.
import { EncryptedSocketProvider, useEncryptedSocket, useRoom, useSocketEvent } from '@encrypted-socket/react'
import {
  createEncryptedSocketServer,
  silentLogger,
  type EncryptedSocketServer,
} from '@encrypted-socket/server'
import { act, render, screen, waitFor } from '@testing-library/react'
import { SignJWT } from 'jose'
import { useState } from 'react'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'

const SECRET = 'react-real-server-secret-0123456789'
const ECDH_INFO = 'react-real/v1'
let server: EncryptedSocketServer

afterEach(() => server.close({ timeout: 200 }))

const tokenFor = (user: string) =>
  new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(user)
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET))

function Chat({ name }: { name: string }) {
  const { state, send } = useEncryptedSocket()
  const status = useRoom('lobby')
  const [lines, setLines] = useState<string[]>([])
  useSocketEvent('chat.message', (message) => {
    const { from, text } = message as { from: string; text: string }
    setLines((all) => [...all, `${from}: ${text}`])
  })
  return (
    <div data-testid={name}>
      <span>{`${state}/${status}`}</span>
      <button onClick={() => void send('chat.send', { room: 'lobby', text: `hi from ${name}` })}>
        send-{name}
      </button>
      {lines.map((line) => (
        <p key={line}>{line}</p>
      ))}
    </div>
  )
}

describe('the built package against @encrypted-socket/server', () => {
  it('two apps chat in a room through the real server, one socket each under StrictMode', async () => {
    server = await createEncryptedSocketServer({
      port: 0,
      ecdhInfo: ECDH_INFO,
      jwtSecret: SECRET,
      demo: true,
      logger: silentLogger,
    })
    const options = async (user: string) => ({
      url: server.url,
      ecdhInfo: ECDH_INFO,
      token: await tokenFor(user),
      WebSocket,
      logger: silentLogger,
    })
    const ui = (
      <>
        <EncryptedSocketProvider options={await options('ana')}>
          <Chat name="ana" />
        </EncryptedSocketProvider>
        <EncryptedSocketProvider options={await options('ben')}>
          <Chat name="ben" />
        </EncryptedSocketProvider>
      </>
    )
    const { unmount } = render(ui, { reactStrictMode: true })
    await waitFor(() => expect(screen.getByTestId('ana').textContent).toContain('authenticated/joined'))
    await waitFor(() => expect(screen.getByTestId('ben').textContent).toContain('authenticated/joined'))
    await waitFor(() => expect(server.roomMembers('lobby')).toHaveLength(2))
    expect(server.connections()).toHaveLength(2)
    act(() => screen.getByText('send-ana').click())
    await waitFor(() => expect(screen.getByTestId('ben').textContent).toContain('ana: hi from ana'))
    // Each member gets its own ciphertext: ana's copy may arrive after ben's.
    await waitFor(() => expect(screen.getByTestId('ana').textContent).toContain('ana: hi from ana'))
    unmount()
    await waitFor(() => expect(server.connections()).toHaveLength(0))
  })
})
