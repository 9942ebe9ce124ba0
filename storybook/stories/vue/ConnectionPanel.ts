import { encryptedSocketKey, useEncryptedSocket, useRoom, useSocketEvent } from '@encrypted-socket/vue'
import { computed, defineComponent, h, onScopeDispose, provide, ref, type PropType } from 'vue'
import { buttons, describeConnections, press, secondsUntil, watchErrors, type Scenario } from '../shared/scenarios'

const RoomMember = defineComponent({
  props: { label: { type: String, required: true } },
  setup(props) {
    const status = useRoom('lobby')
    return () => h('p', { 'data-testid': 'member' }, `${props.label}: lobby ${status.value}`)
  },
})

/** One scenario on the screen: the connection as a user of the composables sees it, and the controls. */
export const ConnectionPanel = defineComponent({
  props: {
    scenario: { type: Object as PropType<Scenario>, required: true },
    members: { type: Number, default: 1 },
  },
  setup(props) {
    const socket = useEncryptedSocket(props.scenario.options)
    provide(encryptedSocketKey, socket.client.value) // for the room members below
    const { state, encrypted, protocol, retryCount, nextRetryAt, lastError, send } = socket
    const errors = ref<string[]>([])
    onScopeDispose(watchErrors(socket.client.value, (codes) => (errors.value = codes)))

    const now = ref(Date.now())
    const received = ref<string[]>([])
    const connections = ref('—')
    const timer = setInterval(() => {
      now.value = Date.now()
      received.value = props.scenario.server.received.map((m) => (m.data as { text: string }).text)
      connections.value = describeConnections(props.scenario.server)
    }, 100)
    onScopeDispose(() => clearInterval(timer))

    const queued = ref(0)
    const count = ref(0)
    const seen = ref<string[]>([])
    useSocketEvent('chat.message', (message) => seen.value.push((message as { text: string }).text), { client: socket.client })
    const sendOne = () => {
      const text = `message ${++count.value}`
      queued.value++
      send('chat.send', { text })
        .catch(() => undefined)
        .finally(() => queued.value--)
    }
    const retry = computed(() => {
      if (state.value !== 'reconnecting') return '—'
      const seconds = secondsUntil(nextRetryAt.value, now.value)
      return `${retryCount.value + 1}${seconds === null ? '' : ` in ${seconds}s`}`
    })
    const row = (label: string, id: string, value: string, title?: string) => [h('dt', label), h('dd', { 'data-testid': id, title }, value)]
    const button = (label: string, onClick: () => void) => h('button', { key: label, onClick }, label)

    return () =>
      h('div', { style: 'font: 14px system-ui' }, [
        h('dl', { style: 'display: grid; grid-template-columns: max-content 1fr; gap: 4px 12px' }, [
          ...row('state', 'state', state.value),
          ...row('encrypted', 'encrypted', encrypted.value ? 'yes' : 'no'),
          ...row('protocol', 'protocol', protocol.value ?? '—'),
          ...row('attempt', 'retry', retry.value),
          ...row('last error', 'error', lastError.value ? lastError.value.code : '—', lastError.value?.message),
          ...row('errors so far', 'errors', errors.value.join(', ') || '—'),
        ]),
        ...Array.from({ length: props.members }, (_, i) => h(RoomMember, { key: i, label: `member ${i + 1}` })),
        h('p', { style: 'display: flex; gap: 6px' }, [
          button('Send', sendOne),
          ...buttons.map(([label, control]) => button(label, () => press(control, props.scenario))),
        ]),
        h('p', { 'data-testid': 'queued' }, `waiting to send: ${queued.value}`),
        h('p', { 'data-testid': 'server' }, `server received: ${received.value.join(', ') || '—'}`),
        h('p', { 'data-testid': 'seen' }, `delivered here: ${seen.value.join(', ') || '—'}`),
        h('p', { 'data-testid': 'connections' }, `server connections: ${connections.value}`),
      ])
  },
})
