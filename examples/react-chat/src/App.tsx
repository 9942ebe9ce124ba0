import {
  EncryptedSocketProvider,
  getRoomDenial,
  useEncryptedSocket,
  useRoom,
  useSocketEvent,
  useSocketSelector,
} from '@encrypted-socket/react'
import { useEffect, useState, useSyncExternalStore } from 'react'
import {
  ECDH_INFO,
  protocolHint,
  type ChatMessage,
  type DemoConfig,
  type FrameLine,
  type ProxyFeed,
  type Wire,
} from '../../shared/demoConnection'

interface AppProps {
  config: DemoConfig
  token: string
  wire: Wire
  proxy: ProxyFeed
}

export function App({ config, token, wire, proxy }: AppProps) {
  return (
    <EncryptedSocketProvider
      options={{
        url: config.serverUrl,
        ecdhInfo: ECDH_INFO,
        token,
        protocol: config.protocol,
        WebSocket: wire.WebSocket,
        reconnect: { interval: 1000, maxInterval: 5000, maxRetries: Infinity },
      }}
    >
      <main>
        <header>
          <h1>React chat</h1>
          <span className="user">as {config.user}</span>
          <ConnectionBadge />
          <ProtocolBadge />
        </header>
        <Chat wire={wire} room={config.room} />
        <WirePanel proxy={proxy} />
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

function ProtocolBadge() {
  const { protocol } = useEncryptedSocket()
  return (
    <span className="protocol" data-testid="protocol" title="the wire protocol of this connection">
      {protocol ?? '—'}
    </span>
  )
}

function Chat({ wire, room }: { wire: Wire; room: string }) {
  const { send, client } = useEncryptedSocket()
  const status = useRoom(room)
  const denial = useSocketSelector((snapshot) => getRoomDenial(snapshot, room))
  const [messages, setMessages] = useState<ChatMessage[]>([])
  const [draft, setDraft] = useState('')
  const { offline } = useSyncExternalStore(wire.subscribe, wire.getView)
  useSocketEvent('chat.message', (message) => setMessages((all) => [...all, message as ChatMessage]))

  const submit = (event: React.FormEvent) => {
    event.preventDefault()
    if (!draft.trim()) return
    // While offline the message waits in the outbox and goes out, encrypted, after reconnecting.
    send('chat.send', { room, text: draft.trim() }).catch((error: Error) => alert(error.message))
    setDraft('')
  }
  return (
    <section className="chat">
      <h2>
        #{room} <small data-testid="room">{status}</small>
        {denial && <small data-testid="room-denied"> {denial.message}</small>}
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

function WirePanel({ proxy }: { proxy: ProxyFeed }) {
  const { clientId, protocol } = useEncryptedSocket()
  // Each connection has its own id: follow the new one's frames once it is authenticated.
  useEffect(() => proxy.follow(clientId), [proxy, clientId])
  const { first, skipped, newest } = useSyncExternalStore(proxy.subscribe, proxy.getView)
  const [lastMessage, setLastMessage] = useState<ChatMessage | null>(null)
  useSocketEvent('chat.message', (message) => setLastMessage(message as ChatMessage))
  return (
    <aside className="wire">
      <h3>
        What a proxy sees <small>(→ to the server, ← to the browser)</small>
      </h3>
      <ol className="frames" data-testid="wire">
        {first.length === 0 && <li>—</li>}
        {first.map((line) => (
          <FrameItem key={line.key} line={line} />
        ))}
        {skipped > 0 && <li className="skipped">… {skipped} more</li>}
        {newest.map((line) => (
          <FrameItem key={line.key} line={line} />
        ))}
      </ol>
      <h3>What you see</h3>
      <code data-testid="plain">{lastMessage ? JSON.stringify(lastMessage) : '—'}</code>
      <p className="hint" data-testid="hint">
        {protocolHint(protocol)}
      </p>
    </aside>
  )
}

function FrameItem({ line }: { line: FrameLine }) {
  return (
    <li data-testid="frame">
      <span className="arrow">{line.arrow}</span> <b>{line.kind}</b> <code>{line.content}</code>
    </li>
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
