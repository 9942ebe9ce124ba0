import type { MockConnection } from '@encrypted-socket/testing'
import { render, screen, waitFor } from '@testing-library/vue'
import { describe, expect, it } from 'vitest'
import { defineComponent, effectScope, h, nextTick, ref } from 'vue'
import { clientOptions, mockServer } from '../test/helpers'
import { createEncryptedSocket } from './plugin'
import { useEncryptedSocket } from './useEncryptedSocket'
import { useRoom } from './useRoom'
import { getRoomDenial, type RoomDenial } from '@encrypted-socket/core'

/** v1: the join and leave frames, as they crossed the wire. */
const roomFrames = (frames: string[]) =>
  frames
    .map((frame) => JSON.parse(frame))
    .filter((frame) => frame.event === 'join' || frame.event === 'leave')

/**
 * v2: how many `join`/`leave` messages reached the mock (every client message is one record: the
 * records but the auth and the application events); the rooms they left it in are `rooms`.
 */
const roomRecords = (connection: MockConnection) => connection.records.length - 1 - connection.received.length

describe('useRoom', () => {
  it('follows a ref: leaves the old room and joins the new one', async () => {
    const server = mockServer()
    const scope = effectScope()
    const room = ref<string | null>('desk-1')
    const { status, socket } = scope.run(() => {
      const socket = useEncryptedSocket(clientOptions(server.url))
      return { socket, status: useRoom(room, { client: socket.client }) }
    })!
    expect(status.value).toBe('joining')
    await waitFor(() => expect(status.value).toBe('joined'))
    const connection = await server.nextConnection()
    await waitFor(() => expect(connection.rooms).toEqual(new Set(['desk-1'])))
    room.value = 'desk-2'
    await waitFor(() => expect(connection.rooms).toEqual(new Set(['desk-2'])))
    room.value = null
    await nextTick()
    expect(status.value).toBe('left')
    await waitFor(() => expect(connection.rooms).toEqual(new Set()))
    expect(socket.rooms.value).toEqual([])
    scope.stop()
  })

  it.each(['v1', 'v2'] as const)(
    'joins once for two components in the same room, leaves after the last unmounts (%s)',
    async (protocol) => {
      const server = mockServer({ protocol })
      const plugin = createEncryptedSocket(
        clientOptions(server.url) as Parameters<typeof createEncryptedSocket>[0],
      )
      const shown = ref({ a: true, b: true })
      const Member = defineComponent({
        props: { id: { type: String, required: true } },
        setup(props) {
          const status = useRoom('orders')
          return () => h('p', { 'data-testid': props.id }, status.value)
        },
      })
      const App = defineComponent(() => () => [
        shown.value.a ? h(Member, { id: 'a' }) : null,
        shown.value.b ? h(Member, { id: 'b' }) : null,
      ])
      render(App, { global: { plugins: [plugin] } })
      await waitFor(() => expect(screen.getByTestId('a').textContent).toBe('joined'))
      const connection = await server.nextConnection()
      await waitFor(() => expect(connection.rooms).toEqual(new Set(['orders'])))
      if (protocol === 'v2') expect(roomRecords(connection)).toBe(1) // one join
      shown.value = { a: false, b: true }
      await nextTick()
      expect(screen.getByTestId('b').textContent).toBe('joined')
      shown.value = { a: false, b: false }
      await waitFor(() => expect(connection.rooms).toEqual(new Set()))
      if (protocol === 'v1') {
        await waitFor(() =>
          expect(roomFrames(connection.frames)).toEqual([
            { event: 'join', data: { rooms: ['orders'] } },
            { event: 'leave', data: { rooms: ['orders'] } },
          ]),
        )
      } else {
        expect(roomRecords(connection)).toBe(2) // then one leave
      }
    },
  )
})

describe('useRoom onGap (v2)', () => {
  it("is called when the room's missed messages are gone after a reconnect, and not for other rooms", async () => {
    const server = mockServer()
    const calls: string[] = []
    const scope = effectScope()
    scope.run(() => {
      const socket = useEncryptedSocket(
        clientOptions(server.url, { reconnect: { interval: 1, maxInterval: 1 } }),
      )
      for (const room of ['desk-1', 'desk-2'])
        useRoom(room, { client: socket.client, onGap: () => calls.push(room) })
    })
    const first = await server.nextConnection()
    await waitFor(() => expect(first.rooms.size).toBe(2))
    server.loseRoomHistory('desk-1')
    first.drop()
    const second = await server.nextConnection()
    await waitFor(() => expect(second.rooms.size).toBe(2))
    await waitFor(() => expect(calls).toEqual(['desk-1']))
    scope.stop()
  })
})

describe('useRoom denied', () => {
  it.each(['v1', 'v2'] as const)(
    "is 'denied' and calls onDenied with the reason, while the other room is joined (%s)",
    async (protocol) => {
      const server = mockServer({ protocol })
      server.denyRoom('ana-private', { code: 'FORBIDDEN', message: 'Not your room.' })
      const denials: RoomDenial[] = []
      const scope = effectScope()
      const { privateRoom, lobby, socket } = scope.run(() => {
        const socket = useEncryptedSocket(clientOptions(server.url, { protocol }))
        return {
          socket,
          privateRoom: useRoom('ana-private', {
            client: socket.client,
            onDenied: (denial) => denials.push(denial),
          }),
          lobby: useRoom('lobby', { client: socket.client }),
        }
      })!
      await waitFor(() => expect(lobby.value).toBe('joined'))
      await waitFor(() => expect(privateRoom.value).toBe('denied'))
      const code = protocol === 'v2' ? 'FORBIDDEN' : 'JOIN_DENIED'
      expect(denials).toEqual([expect.objectContaining({ code })])
      expect(getRoomDenial(socket.client.value.getSnapshot(), 'ana-private')).toEqual(denials[0])
      scope.stop()
    },
  )
})
