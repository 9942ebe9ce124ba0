// Render cost: 100 mounted components each reading the connection state, plus one handler, while
// 1,000 events arrive. Renders counted for ours and for react-use-websocket / @vueuse/core on the
// same stream (jsdom, real sockets to servers in this process).
import { JSDOM } from 'jsdom'
import WebSocket, { WebSocketServer } from 'ws'
import { ECDH_INFO, startServer, token } from './lib.mjs'

const dom = new JSDOM('<!doctype html><div id="root"></div>')
Object.assign(globalThis, { window: dom.window, document: dom.window.document, WebSocket, SVGElement: dom.window.SVGElement, Element: dom.window.Element, MathMLElement: dom.window.MathMLElement ?? dom.window.Element })
globalThis.navigator ??= dom.window.navigator

const COMPONENTS = 100
const EVENTS = 1000
const quiet = { info() {}, warn() {}, error() {}, debug() {} }
const settle = (ms = 200) => new Promise((resolve) => setTimeout(resolve, ms))
const waitFor = async (condition) => {
  while (!condition()) await settle(5)
}

// The stream: our server broadcasting encrypted events, and a plain ws server sending the same JSON.
const server = await startServer()
const plain = new WebSocketServer({ host: '127.0.0.1', port: 0 })
await new Promise((resolve) => plain.once('listening', resolve))
const plainUrl = `ws://127.0.0.1:${plain.address().port}`
const jwt = await token('render')
async function pushEncrypted() {
  for (let i = 0; i < EVENTS; i++) {
    await server.broadcast('tick', { i })
    if (i % 50 === 0) await settle(1)
  }
}
async function pushPlain() {
  for (let i = 0; i < EVENTS; i++) {
    for (const socket of plain.clients) socket.send(JSON.stringify({ event: 'tick', data: { i } }))
    if (i % 50 === 0) await settle(1)
  }
}

/** Counts renders while `push` streams the events, once `connected` holds and the mount has settled. */
async function rendersDuring(counts, connected, push) {
  await waitFor(connected)
  await settle()
  counts.renders = 0
  await push()
  await waitFor(() => counts.received >= EVENTS)
  await settle()
  return counts.renders
}

async function react() {
  const React = await import('react')
  const { createRoot } = await import('react-dom/client')
  const { EncryptedSocketProvider, useEncryptedSocket, useSocketEvent } = await import('@encrypted-socket/react')
  const rws = await import('react-use-websocket')
  const useWebSocket = rws.useWebSocket ?? rws.default?.default ?? rws.default
  const h = React.createElement
  const results = {}

  // Ours.
  {
    const counts = { renders: 0, received: 0 }
    const Status = () => (counts.renders++, h('p', null, useEncryptedSocket().state))
    const Listener = () => (counts.renders++, useSocketEvent('tick', () => counts.received++), null)
    const root = createRoot(document.getElementById('root'))
    root.render(
      h(EncryptedSocketProvider, { options: { url: server.url, ecdhInfo: ECDH_INFO, token: jwt, WebSocket, logger: quiet } },
        ...Array.from({ length: COMPONENTS }, (_, i) => h(Status, { key: i })), h(Listener)),
    )
    results['@encrypted-socket/react'] = await rendersDuring(counts, () => server.connections().length === 1, pushEncrypted)
    root.unmount()
  }
  // react-use-websocket, sharing one socket as its docs suggest.
  {
    const counts = { renders: 0, received: 0 }
    const Status = () => (counts.renders++, h('p', null, String(useWebSocket(plainUrl, { share: true }).readyState)))
    const Listener = () => (counts.renders++, useWebSocket(plainUrl, { share: true, onMessage: () => counts.received++ }), null)
    const root = createRoot(document.getElementById('root'))
    root.render(h(React.Fragment, null, ...Array.from({ length: COMPONENTS }, (_, i) => h(Status, { key: i })), h(Listener)))
    results['react-use-websocket (share: true)'] = await rendersDuring(counts, () => plain.clients.size === 1, pushPlain)
    root.unmount()
  }
  return results
}

async function vue() {
  const { createApp, defineComponent, h, watch } = await import('vue')
  const { createEncryptedSocket, useEncryptedSocket, useSocketEvent } = await import('@encrypted-socket/vue')
  const { useWebSocket, createSharedComposable } = await import('@vueuse/core')
  const results = {}
  const mount = (root, plugin) => {
    const el = document.createElement('div')
    document.body.append(el)
    const app = createApp(root)
    if (plugin) app.use(plugin)
    app.mount(el)
    return app
  }

  {
    const counts = { renders: 0, received: 0 }
    const Status = defineComponent(() => {
      const { state } = useEncryptedSocket()
      return () => (counts.renders++, h('p', state.value))
    })
    const Listener = defineComponent(() => {
      useSocketEvent('tick', () => counts.received++)
      return () => (counts.renders++, null)
    })
    const app = mount(
      () => [...Array.from({ length: COMPONENTS }, () => h(Status)), h(Listener)],
      createEncryptedSocket({ url: server.url, ecdhInfo: ECDH_INFO, token: jwt, WebSocket, logger: quiet }),
    )
    results['@encrypted-socket/vue'] = await rendersDuring(counts, () => server.connections().length === 1, pushEncrypted)
    app.unmount()
  }
  {
    const counts = { renders: 0, received: 0 }
    const useShared = createSharedComposable(() => useWebSocket(plainUrl))
    const Status = defineComponent(() => {
      const { status } = useShared()
      return () => (counts.renders++, h('p', status.value))
    })
    const Listener = defineComponent(() => {
      const { data } = useShared()
      watch(data, () => counts.received++, { flush: 'sync' })
      return () => (counts.renders++, null)
    })
    const app = mount(() => [...Array.from({ length: COMPONENTS }, () => h(Status)), h(Listener)])
    results['@vueuse/core useWebSocket (createSharedComposable)'] = await rendersDuring(counts, () => plain.clients.size === 1, pushPlain)
    app.unmount()
  }
  return results
}

const rows = Object.entries({ ...(await react()), ...(await vue()) }).map(([library, renders]) => ({ library, 'renders during 1,000 events': renders }))
console.log(`${COMPONENTS} components reading the connection state + 1 event handler, ${EVENTS} incoming events (jsdom, Node ${process.version})`)
console.table(rows)
plain.close()
await server.close({ timeout: 200 })
process.exit(0)
