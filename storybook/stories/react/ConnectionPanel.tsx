import { EncryptedSocketProvider, useEncryptedSocket, useRoom, useSocketEvent } from '@encrypted-socket/react'
import { useEffect, useRef, useState } from 'react'
import { buttons, describeConnections, press, secondsUntil, watchErrors, type Scenario } from '../shared/scenarios'

/** One scenario on the screen: the connection as a user of the hooks sees it, and the controls. */
export function ConnectionPanel({ scenario, members = 1 }: { scenario: Scenario; members?: number }) {
  return (
    <EncryptedSocketProvider options={scenario.options}>
      <Status />
      {Array.from({ length: members }, (_, i) => (
        <RoomMember key={i} label={`member ${i + 1}`} />
      ))}
      <Chat scenario={scenario} />
    </EncryptedSocketProvider>
  )
}

function Status() {
  const { state, encrypted, protocol, retryCount, nextRetryAt, lastError, client } = useEncryptedSocket()
  const [errors, setErrors] = useState<string[]>([])
  useEffect(() => watchErrors(client, setErrors), [client])
  const now = useNow(nextRetryAt !== null)
  const seconds = secondsUntil(nextRetryAt, now)
  return (
    <dl style={{ display: 'grid', gridTemplateColumns: 'max-content 1fr', gap: '4px 12px', font: '14px system-ui' }}>
      <dt>state</dt>
      <dd data-testid="state">{state}</dd>
      <dt>encrypted</dt>
      <dd data-testid="encrypted">{encrypted ? 'yes' : 'no'}</dd>
      <dt>protocol</dt>
      <dd data-testid="protocol">{protocol ?? '—'}</dd>
      <dt>attempt</dt>
      <dd data-testid="retry">{state === 'reconnecting' ? `${retryCount + 1}${seconds === null ? '' : ` in ${seconds}s`}` : '—'}</dd>
      <dt>last error</dt>
      <dd data-testid="error" title={lastError?.message}>
        {lastError ? lastError.code : '—'}
      </dd>
      <dt>errors so far</dt>
      <dd data-testid="errors">{errors.join(', ') || '—'}</dd>
    </dl>
  )
}

function RoomMember({ label }: { label: string }) {
  const status = useRoom('lobby')
  return <p data-testid="member">{`${label}: lobby ${status}`}</p>
}

function Chat({ scenario }: { scenario: Scenario }) {
  const { send } = useEncryptedSocket()
  const [queued, setQueued] = useState(0)
  const count = useRef(0)
  const [seen, setSeen] = useState<string[]>([])
  const { received, connections } = useServerView(scenario)
  useSocketEvent('chat.message', (message) => setSeen((all) => [...all, (message as { text: string }).text]))
  const sendOne = () => {
    const text = `message ${++count.current}`
    setQueued((n) => n + 1)
    send('chat.send', { text })
      .catch(() => undefined)
      .finally(() => setQueued((n) => n - 1))
  }
  return (
    <div style={{ font: '14px system-ui' }}>
      <p style={{ display: 'flex', gap: 6 }}>
        <button onClick={sendOne}>Send</button>
        {buttons.map(([label, control]) => (
          <button key={label} onClick={() => press(control, scenario)}>
            {label}
          </button>
        ))}
      </p>
      <p data-testid="queued">waiting to send: {queued}</p>
      <p data-testid="server">server received: {received.join(', ') || '—'}</p>
      <p data-testid="seen">delivered here: {seen.join(', ') || '—'}</p>
      <p data-testid="connections">server connections: {connections}</p>
    </div>
  )
}

/** What the mock server decrypted and its connections, refreshed on a short timer (stories only). */
function useServerView(scenario: Scenario): { received: string[]; connections: string } {
  const [received, setReceived] = useState<string[]>([])
  const [connections, setConnections] = useState('—')
  useEffect(() => {
    const timer = setInterval(() => {
      setReceived(scenario.server.received.map((m) => (m.data as { text: string }).text))
      setConnections(describeConnections(scenario.server))
    }, 100)
    return () => clearInterval(timer)
  }, [scenario])
  return { received, connections }
}

function useNow(ticking: boolean): number {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    if (!ticking) return
    const timer = setInterval(() => setNow(Date.now()), 200)
    return () => clearInterval(timer)
  }, [ticking])
  return now
}
