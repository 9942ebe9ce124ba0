// The README's example, type-checked by `pnpm typecheck` against the built package.
import { EncryptedSocketProvider, useEncryptedSocket, useRoom, useSocketEvent } from '@encrypted-socket/react'
import { useState } from 'react'

// 1. Declare your events once; every hook is typed by them.
interface ChatEvents {
  'chat.send': { room: string; text: string }
  'chat.message': { room: string; text: string; from: string; at: string }
}
declare module '@encrypted-socket/react' {
  interface Register {
    events: ChatEvents
  }
}

// 2. One client for the app: connected on mount, destroyed on unmount.
export function App({ token }: { token: string }) {
  return (
    <EncryptedSocketProvider options={{ url: 'wss://chat.example.com/ws', ecdhInfo: 'encrypted-socket/v1', token }}>
      <ConnectionBadge />
      <Room name="lobby" />
    </EncryptedSocketProvider>
  )
}

// 3. Re-renders only when `state` or `retryCount` change, never per message.
function ConnectionBadge() {
  const { state, retryCount } = useEncryptedSocket()
  return <span>{state === 'reconnecting' ? `reconnecting (attempt ${retryCount + 1})` : state}</span>
}

// 4. A room joined while mounted; messages typed by the event map.
function Room({ name }: { name: string }) {
  const status = useRoom(name)
  const { send } = useEncryptedSocket()
  const [messages, setMessages] = useState<ChatEvents['chat.message'][]>([])
  useSocketEvent('chat.message', (message) => {
    if (message.room === name) setMessages((all) => [...all, message])
  })
  return (
    <section>
      <h2>
        {name} ({status})
      </h2>
      {messages.map((m) => (
        <p key={m.at + m.from}>
          {m.from}: {m.text}
        </p>
      ))}
      <button onClick={() => void send('chat.send', { room: name, text: 'hello' })}>Say hello</button>
    </section>
  )
}
