import { EncryptedSocketProvider, useEncryptedSocket, useRoom, useSocketEvent } from '@encrypted-socket/react'
import { useEffect, useState, useSyncExternalStore } from 'react'
import {
  ECDH_INFO,
  shorten,
  ROOM,
  type ChatMessage,
  type DemoConfig,
  type Wire,
} from '../../shared/demoConnection'

export function App({ config, token, wire }: { config: DemoConfig; token: string; wire: Wire }) {
  return (
    <EncryptedSocketProvider
      options={{
        url: config.serverUrl,
        ecdhInfo: ECDH_INFO,
        token,
        WebSocket: wire.WebSocket,
        reconnect: { interval: 1000, maxInterval: 5000, maxRetries: Infinity },
      }}
    >
      <main>
        <header>
          <h1>React chat</h1>
          <span className="user">as {config.user}</span>
          <ConnectionBadge />
        </header>
        <Chat wire={wire} />
        <WirePanel wire={wire} />
      </main>
    </EncryptedSocketProvider>
  )
}

function ConnectionBadge() {
  const { state, encrypted, retryCount, nextRetryAt, lastError } = useEncryptedSocket()
  const seconds = useCountdown(nextRetryAt)
  const detail =
    state === 'reconnecting' ? ` · attempt ${retryCount + 1}${seconds === null ? '' : ` in ${seconds}s`}` : ''
  return (
    <span
      className={`badge ${state}${encrypted ? ' encrypted' : ''}`}
      data-testid="state"
      title={lastError?.message}
    >
      {state}
      {detail}
    </span>
  )
}

function Chat({ wire }: { wire: Wire }) {
  const { send, client } = useEncryptedSocket()
  const status = useRoom(ROOM)
  const [messages, setMessages] = useState<ChatMessage[]>([])
  const [draft, setDraft] = useState('')
  const { offline } = useSyncExternalStore(wire.subscribe, wire.getView)
  useSocketEvent('chat.message', (message) => setMessages((all) => [...all, message as ChatMessage]))

  const submit = (event: React.FormEvent) => {
    event.preventDefault()
    if (!draft.trim()) return
    // While offline the message waits in the outbox and goes out, encrypted, after reconnecting.
    send('chat.send', { room: ROOM, text: draft.trim() }).catch((error: Error) => alert(error.message))
    setDraft('')
  }
  return (
    <section className="chat">
      <h2>
        #{ROOM} <small data-testid="room">{status}</small>
      </h2>
      <ol data-testid="messages">
        {messages.map((m) => (
          <li key={`${m.at}-${m.from}-${m.text}`}>
            <b>{m.from}</b> {m.text}
          </li>
        ))}
      </ol>
      <form onSubmit={submit}>
        <input
          data-testid="draft"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          placeholder="Say something…"
        />
        <button type="submit">Send</button>
        <OfflineToggle
          offline={offline}
          onChange={(next) => {
            wire.setOffline(next)
            // Back online: retry now instead of waiting for the next backoff step.
            if (!next) void client.connect().catch(() => undefined)
          }}
        />
      </form>
    </section>
  )
}

function OfflineToggle({ offline, onChange }: { offline: boolean; onChange: (offline: boolean) => void }) {
  return (
    <button type="button" data-testid="offline" onClick={() => onChange(!offline)}>
      {offline ? 'Go online' : 'Drop connection'}
    </button>
  )
}

function WirePanel({ wire }: { wire: Wire }) {
  const view = useSyncExternalStore(wire.subscribe, wire.getView)
  const [lastMessage, setLastMessage] = useState<ChatMessage | null>(null)
  useSocketEvent('chat.message', (message) => setLastMessage(message as ChatMessage))
  const { encrypted } = useEncryptedSocket()
  return (
    <aside className="wire">
      <h3>What a proxy sees</h3>
      <code data-testid="wire">{shorten(view.lastReceived)}</code>
      <h3>What you see</h3>
      <code data-testid="plain">{lastMessage ? JSON.stringify(lastMessage) : '—'}</code>
      <p className="hint">
        {encrypted ? 'AES-256-GCM, a fresh ECDH key per connection.' : 'No session key yet.'}
      </p>
    </aside>
  )
}

function useCountdown(until: number | null): number | null {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    if (until === null) return
    const timer = setInterval(() => setNow(Date.now()), 250)
    return () => clearInterval(timer)
  }, [until])
  return until === null ? null : Math.max(0, Math.ceil((until - now) / 1000))
}
