// What both demo apps share: where the server is, a token from the demo's auth endpoint, and a
// WebSocket that records the frames it carries (what a proxy would see) and can go "offline".

export interface DemoConfig {
  user: string
  serverUrl: string
  tokenUrl: string
}

export const ECDH_INFO = 'encrypted-socket-demo'
/** The room both apps chat in. */
export const ROOM = 'lobby'

/** What the server's demo handlers send to the room. */
export interface ChatMessage {
  room: string
  text: string
  from: string
  at: string
}

/** `?user=ana&server=ws://…&token=http://…` overrides the defaults of `npm start`. */
export function readConfig(defaultUser: string): DemoConfig {
  const query = new URLSearchParams(location.search)
  return {
    user: query.get('user') ?? defaultUser,
    serverUrl: query.get('server') ?? 'ws://127.0.0.1:8787',
    tokenUrl: query.get('token') ?? 'http://127.0.0.1:8788/token',
  }
}

export async function fetchToken(config: DemoConfig): Promise<string> {
  const response = await fetch(`${config.tokenUrl}?user=${encodeURIComponent(config.user)}`)
  if (!response.ok) throw new Error(`token endpoint: HTTP ${response.status}`)
  return ((await response.json()) as { token: string }).token
}

export interface WireView {
  /** The last frame sent and received, exactly as on the wire. */
  lastSent: string | null
  lastReceived: string | null
  offline: boolean
}

/** A tiny store of what crossed the wire, and the offline switch. */
export function createWire() {
  let view: WireView = { lastSent: null, lastReceived: null, offline: false }
  const listeners = new Set<() => void>()
  let current: WebSocket | null = null
  const update = (patch: Partial<WireView>) => {
    view = { ...view, ...patch }
    listeners.forEach((listener) => listener())
  }

  class TappedWebSocket extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      // Offline: every attempt fails at once (port 9 refuses), so the client keeps retrying.
      super(view.offline ? 'ws://127.0.0.1:9/' : url, protocols)
      current = this
      this.addEventListener('message', (event) => update({ lastReceived: String(event.data) }))
    }

    override send(data: string): void {
      update({ lastSent: data })
      super.send(data)
    }
  }

  return {
    WebSocket: TappedWebSocket,
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

export function shorten(frame: string | null, length = 160): string {
  if (!frame) return '—'
  return frame.length > length ? `${frame.slice(0, length - 1)}…` : frame
}
