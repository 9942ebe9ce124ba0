import { getRoomDenial, useEncryptedSocket, useRoom, useSocketEvent } from '@encrypted-socket/vue'
import { computed, defineComponent, h, onScopeDispose, ref, shallowRef, watch, type PropType } from 'vue'
import {
  protocolHint,
  type ChatMessage,
  type DemoConfig,
  type FrameLine,
  type ProxyFeed,
  type Wire,
} from '../../shared/demoConnection'

const frameItem = (line: FrameLine) =>
  h('li', { key: line.key, 'data-testid': 'frame' }, [
    h('span', { class: 'arrow' }, line.arrow),
    ' ',
    h('b', line.kind),
    ' ',
    h('code', line.content),
  ])

export const App = defineComponent({
  props: {
    config: { type: Object as PropType<DemoConfig>, required: true },
    wire: { type: Object as PropType<Wire>, required: true },
    proxy: { type: Object as PropType<ProxyFeed>, required: true },
  },
  setup(props) {
    const {
      state,
      encrypted,
      protocol,
      clientId,
      retryCount,
      nextRetryAt,
      lastError,
      send,
      connect,
      client,
    } = useEncryptedSocket()
    const room = props.config.room
    const status = useRoom(room)
    const denial = computed(() =>
      status.value === 'denied' ? getRoomDenial(client.value.getSnapshot(), room) : null,
    )
    const messages = ref<ChatMessage[]>([])
    const lastMessage = shallowRef<ChatMessage | null>(null)
    const draft = ref('')
    useSocketEvent('chat.message', (message) => {
      messages.value.push(message as ChatMessage)
      lastMessage.value = message as ChatMessage
    })

    const wireView = shallowRef(props.wire.getView())
    onScopeDispose(props.wire.subscribe(() => (wireView.value = props.wire.getView())))
    // Each connection has its own id: follow the new one's frames once it is authenticated.
    const proxyView = shallowRef(props.proxy.getView())
    onScopeDispose(props.proxy.subscribe(() => (proxyView.value = props.proxy.getView())))
    watch(clientId, (id) => props.proxy.follow(id), { immediate: true })

    const now = ref(Date.now())
    const ticker = setInterval(() => (now.value = Date.now()), 250)
    onScopeDispose(() => clearInterval(ticker))
    const badge = computed(() => {
      if (state.value !== 'reconnecting') return state.value
      const seconds =
        nextRetryAt.value === null ? null : Math.max(0, Math.ceil((nextRetryAt.value - now.value) / 1000))
      return `${state.value} · attempt ${retryCount.value + 1}${seconds === null ? '' : ` in ${seconds}s`}`
    })

    const submit = (event: Event) => {
      event.preventDefault()
      const text = draft.value.trim()
      if (!text) return
      // While offline the message waits in the outbox and goes out, encrypted, after reconnecting.
      send('chat.send', { room, text }).catch((error: Error) => alert(error.message))
      draft.value = ''
    }
    const toggleOffline = () => {
      const offline = !wireView.value.offline
      props.wire.setOffline(offline)
      if (!offline) void connect().catch(() => undefined)
    }

    return () =>
      h('main', [
        h('header', [
          h('h1', 'Vue chat'),
          h('span', { class: 'user' }, `as ${props.config.user}`),
          h(
            'span',
            {
              class: ['badge', state.value, { encrypted: encrypted.value }],
              'data-testid': 'state',
              title: lastError.value?.message,
            },
            badge.value,
          ),
          h(
            'span',
            { class: 'protocol', 'data-testid': 'protocol', title: 'the wire protocol of this connection' },
            protocol.value ?? '—',
          ),
        ]),
        h('section', { class: 'chat' }, [
          h('h2', [
            `#${room} `,
            h('small', { 'data-testid': 'room' }, status.value),
            denial.value && h('small', { 'data-testid': 'room-denied' }, ` ${denial.value.message}`),
          ]),
          h(
            'ol',
            { 'data-testid': 'messages' },
            messages.value.map((m) =>
              h('li', { key: `${m.at}-${m.from}-${m.text}` }, [h('b', m.from), ` ${m.text}`]),
            ),
          ),
          h('form', { onSubmit: submit }, [
            h('input', {
              'data-testid': 'draft',
              value: draft.value,
              placeholder: 'Say something…',
              onInput: (e: Event) => (draft.value = (e.target as HTMLInputElement).value),
            }),
            h('button', { type: 'submit' }, 'Send'),
            h(
              'button',
              { type: 'button', 'data-testid': 'offline', onClick: toggleOffline },
              wireView.value.offline ? 'Go online' : 'Drop connection',
            ),
          ]),
        ]),
        h('aside', { class: 'wire' }, [
          h('h3', ['What a proxy sees ', h('small', '(→ to the server, ← to the browser)')]),
          h('ol', { class: 'frames', 'data-testid': 'wire' }, [
            ...(proxyView.value.first.length === 0 ? [h('li', '—')] : proxyView.value.first.map(frameItem)),
            ...(proxyView.value.skipped > 0
              ? [h('li', { class: 'skipped' }, `… ${proxyView.value.skipped} more`)]
              : []),
            ...proxyView.value.newest.map(frameItem),
          ]),
          h('h3', 'What you see'),
          h('code', { 'data-testid': 'plain' }, lastMessage.value ? JSON.stringify(lastMessage.value) : '—'),
          h('p', { class: 'hint', 'data-testid': 'hint' }, protocolHint(protocol.value)),
        ]),
      ])
  },
})
