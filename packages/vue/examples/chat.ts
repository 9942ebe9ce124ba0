// The README's example, type-checked by `pnpm typecheck` against the built package.
import { createEncryptedSocket, useEncryptedSocket, useRoom, useSocketEvent } from '@encrypted-socket/vue'
import { createApp, defineComponent, h, ref } from 'vue'

// 1. Declare your events once; every composable is typed by them.
interface ChatEvents {
  'chat.send': { room: string; text: string }
  'chat.message': { room: string; text: string; from: string; at: string }
}
declare module '@encrypted-socket/vue' {
  interface Register {
    events: ChatEvents
  }
}

// 2. A room the component is in while mounted; `name` may be a ref, a getter or a string.
const Room = defineComponent({
  props: { name: { type: String, required: true } },
  setup(props) {
    const status = useRoom(() => props.name)
    const { state, send } = useEncryptedSocket()
    const messages = ref<ChatEvents['chat.message'][]>([])
    useSocketEvent('chat.message', (message) => {
      if (message.room === props.name) messages.value.push(message)
    })
    const hello = () => void send('chat.send', { room: props.name, text: 'hello' })
    return () =>
      h('section', [
        h('h2', `${props.name} (${status.value}, ${state.value})`),
        ...messages.value.map((m) => h('p', `${m.from}: ${m.text}`)),
        h('button', { onClick: hello }, 'Say hello'),
      ])
  },
})

// 3. One client for the app: connected on install, destroyed on app.unmount().
export function mountChat(token: string) {
  return createApp(() => h(Room, { name: 'lobby' }))
    .use(createEncryptedSocket({ url: 'wss://chat.example.com/ws', ecdhInfo: 'encrypted-socket/v1', token }))
    .mount('#app')
}
