// The built package (dist, through its exports map) against the real server over real sockets.
import {
  createEncryptedSocketServer,
  silentLogger,
  type EncryptedSocketServer,
} from '@encrypted-socket/server'
import { createEncryptedSocket, useEncryptedSocket, useRoom, useSocketEvent } from '@encrypted-socket/vue'
import { render, screen, waitFor } from '@testing-library/vue'
import { SignJWT } from 'jose'
import { afterEach, describe, expect, it } from 'vitest'
import { defineComponent, h, ref } from 'vue'
import WebSocket from 'ws'

const SECRET = 'vue-real-server-secret-0123456789'
const ECDH_INFO = 'vue-real/v1'
let server: EncryptedSocketServer

afterEach(() => server.close({ timeout: 200 }))

const tokenFor = (user: string) =>
  new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(user)
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET))

const Chat = defineComponent({
  props: { name: { type: String, required: true } },
  setup(props) {
    const { state, send } = useEncryptedSocket()
    const status = useRoom('lobby')
    const lines = ref<string[]>([])
    useSocketEvent('chat.message', (message) => {
      const { from, text } = message as { from: string; text: string }
      lines.value.push(`${from}: ${text}`)
    })
    // Not returned: Vue reports a handler's rejected promise as an error (here, the send still
    // waiting for its acknowledgement when the test unmounts the app).
    const say = () => void send('chat.send', { room: 'lobby', text: `hi from ${props.name}` })
    return () =>
      h('div', { 'data-testid': props.name }, [
        h('span', `${state.value}/${status.value}`),
        h('button', { onClick: say }, `send-${props.name}`),
        ...lines.value.map((line) => h('p', line)),
      ])
  },
})

describe('the built package against @encrypted-socket/server', () => {
  it('two apps chat in a room through the real server', async () => {
    server = await createEncryptedSocketServer({
      port: 0,
      ecdhInfo: ECDH_INFO,
      jwtSecret: SECRET,
      demo: true,
      logger: silentLogger,
    })
    const mount = async (user: string) =>
      render(Chat, {
        props: { name: user },
        global: {
          plugins: [
            createEncryptedSocket({
              url: server.url,
              ecdhInfo: ECDH_INFO,
              token: await tokenFor(user),
              WebSocket,
              logger: silentLogger,
            }),
          ],
        },
      })
    const ana = await mount('ana')
    const ben = await mount('ben')
    await waitFor(() => expect(screen.getByTestId('ana').textContent).toContain('authenticated/joined'))
    await waitFor(() => expect(screen.getByTestId('ben').textContent).toContain('authenticated/joined'))
    await waitFor(() => expect(server.roomMembers('lobby')).toHaveLength(2))
    screen.getByText('send-ana').click()
    await waitFor(() => expect(screen.getByTestId('ben').textContent).toContain('ana: hi from ana'))
    // Each member gets its own ciphertext: ana's copy may arrive after ben's.
    await waitFor(() => expect(screen.getByTestId('ana').textContent).toContain('ana: hi from ana'))
    ana.unmount()
    ben.unmount()
    await waitFor(() => expect(server.connections()).toHaveLength(0))
  })
})
