// What both demo apps share: where the server is, a token from the demo's auth endpoint, a
// WebSocket that can go "offline", and what a proxy sees of the connection (the server's frame
// log of it, followed live).

export interface DemoConfig {
  user: string
  serverUrl: string
  tokenUrl: string
  /** The demo server's feed of one connection's frames. */
  framesUrl: string
  /** The client's `protocol` option: `?protocol=v1` shows what a v1 client puts on the wire. */
  protocol: 'auto' | 'v1' | 'v2'
  /** The room to chat in: `?room=ana-private` shows a room the server refuses to anyone but ana. */
  room: string
}

export const ECDH_INFO = 'encrypted-socket-demo'
/** The room both apps chat in by default. */
export const ROOM = 'lobby'

/** What the server's demo handlers send to the room. */
export interface ChatMessage {
  room: string
  text: string
  from: string
  at: string
}

/**
 * `?user=ana&server=ws://…&token=http://…&protocol=v1&room=…` overrides the defaults of `npm start`; the
 * frame feed is beside the token endpoint.
 */
export function readConfig(defaultUser: string): DemoConfig {
  const query = new URLSearchParams(location.search)
  const tokenUrl = query.get('token') ?? 'http://127.0.0.1:8788/token'
  const protocol = query.get('protocol')
  return {
    user: query.get('user') ?? defaultUser,
    serverUrl: query.get('server') ?? 'ws://127.0.0.1:8787',
    tokenUrl,
    framesUrl: new URL('frames', tokenUrl).href,
    protocol: protocol === 'v1' || protocol === 'v2' ? protocol : 'auto',
    room: query.get('room') || ROOM,
  }
}

export async function fetchToken(config: DemoConfig): Promise<string> {
  const response = await fetch(`${config.tokenUrl}?user=${encodeURIComponent(config.user)}`)
  if (!response.ok) throw new Error(`token endpoint: HTTP ${response.status}`)
  return ((await response.json()) as { token: string }).token
}

export interface WireView {
  offline: boolean
}

/** The offline switch: a WebSocket that can be cut, and a tiny store of whether it is. */
export function createWire() {
  let view: WireView = { offline: false }
  const listeners = new Set<() => void>()
  let current: WebSocket | null = null
  const update = (patch: Partial<WireView>) => {
    view = { ...view, ...patch }
    listeners.forEach((listener) => listener())
  }

  class SwitchableWebSocket extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      // Offline: every attempt fails at once (port 9 refuses), so the client keeps retrying.
      super(view.offline ? 'ws://127.0.0.1:9/' : url, protocols)
      current = this
    }
  }

  return {
    WebSocket: SwitchableWebSocket,
    getView: () => view,
    subscribe(listener: () => void) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    /** Going offline cuts the live socket; the client reconnects once back online. */
    setOffline(offline: boolean) {
      update({ offline })
      if (offline) current?.close(4000, 'offline (demo)')
    },
  }
}

export type Wire = ReturnType<typeof createWire>

/** One frame of the demo server's log (see examples/demo-server.mjs). */
export interface LoggedFrame {
  n: number
  connectionId: string
  /** `in`: client → server; `out`: server → client. */
  direction: 'in' | 'out'
  /** A text frame as on the wire (a v1 token blanked), or `[binary record, N bytes]`. */
  text: string
  /** A v2 record: its length and its first bytes in hex. */
  record?: { length: number; hex: string }
}

/** What the panel shows of a frame: never more than a proxy could read. */
export interface FrameLine {
  key: number
  arrow: '→' | '←'
  kind: string
  content: string
}

/** The panel shows a connection's first frames (its handshake) and its newest ones. */
const FIRST_FRAMES = 2
const NEWEST_FRAMES = 6

export function describeFrame(frame: LoggedFrame): FrameLine {
  const arrow = frame.direction === 'in' ? '→' : '←'
  if (frame.record) {
    const hex = frame.record.hex.match(/../g)?.join(' ') ?? ''
    return { key: frame.n, arrow, kind: `record, ${frame.record.length} bytes`, content: `${hex} …` }
  }
  const event = /^\{"event":"([\w.]+)"/.exec(frame.text)?.[1] ?? 'text'
  return { key: frame.n, arrow, kind: event, content: shorten(frame.text, 140) }
}

export interface ProxyView {
  /** The connection followed (the client's id, once authenticated). */
  connectionId: string | null
  /** Its first frames, how many came between, and its newest frames. */
  first: FrameLine[]
  skipped: number
  newest: FrameLine[]
}

/**
 * Follows one connection's frames on the demo server's feed: `follow(clientId)` after each
 * authentication (each connection has its own id); the last connection stays on screen until the
 * next one is followed.
 */
export function createProxyFeed(framesUrl: string) {
  const empty = (connectionId: string | null): ProxyView => ({
    connectionId,
    first: [],
    skipped: 0,
    newest: [],
  })
  let view = empty(null)
  const listeners = new Set<() => void>()
  let source: EventSource | null = null
  const update = (next: ProxyView) => {
    view = next
    listeners.forEach((listener) => listener())
  }
  const add = (line: FrameLine) => {
    const { first, skipped, newest } = view
    if (first.length < FIRST_FRAMES) return update({ ...view, first: [...first, line] })
    const all = [...newest, line]
    const over = Math.max(0, all.length - NEWEST_FRAMES)
    update({ ...view, skipped: skipped + over, newest: all.slice(over) })
  }
  return {
    getView: () => view,
    subscribe(listener: () => void) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    follow(connectionId: string | null) {
      if (connectionId === null || connectionId === view.connectionId) return
      source?.close()
      update(empty(connectionId))
      const current = new EventSource(`${framesUrl}?connection=${encodeURIComponent(connectionId)}`)
      current.onmessage = (event: MessageEvent<string>) => {
        if (source === current) add(describeFrame(JSON.parse(event.data) as LoggedFrame))
      }
      source = current
    },
  }
}

export type ProxyFeed = ReturnType<typeof createProxyFeed>

/** What the panel says under the frames, for the protocol in use. */
export function protocolHint(protocol: 'v1' | 'v2' | null): string {
  if (protocol === 'v2')
    return 'Protocol v2: after the welcome and hello, only binary records (AES-256-GCM, a key per direction, counters never sent); the token went inside the first record.'
  if (protocol === 'v1')
    return 'Protocol v1: JSON frames, each message AES-256-GCM under a fresh ECDH key per connection; the token crossed in clear in "authenticate" (blanked here).'
  return 'No session key yet.'
}

export function shorten(frame: string | null, length = 160): string {
  if (!frame) return '—'
  return frame.length > length ? `${frame.slice(0, length - 1)}…` : frame
}
