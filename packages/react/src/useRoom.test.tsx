import type { MockConnection } from '@encrypted-socket/testing'
import { act, render, screen, waitFor } from '@testing-library/react'
import { useState } from 'react'
import { describe, expect, it } from 'vitest'
import { clientOptions, mockServer } from '../test/helpers'
import { EncryptedSocketProvider } from './EncryptedSocketProvider'
import { useRoom } from './useRoom'
import { useSocketSelector } from './useSocketSelector'
import { getRoomDenial } from '@encrypted-socket/core'

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

function Member({ id, room }: { id: string; room: string | null }) {
  return <p data-testid={id}>{useRoom(room)}</p>
}

describe('useRoom', () => {
  it.each(['v1', 'v2'] as const)(
    'joins once for two components, leaves when the last unmounts, under StrictMode (%s)',
    async (protocol) => {
      const server = mockServer({ protocol })
      let setShown: (shown: { a: boolean; b: boolean }) => void = () => undefined
      function App() {
        const [shown, set] = useState({ a: true, b: true })
        setShown = set
        return (
          <>
            {shown.a && <Member id="a" room="orders" />}
            {shown.b && <Member id="b" room="orders" />}
          </>
        )
      }
      render(
        <EncryptedSocketProvider options={clientOptions(server.url)}>
          <App />
        </EncryptedSocketProvider>,
        { reactStrictMode: true },
      )
      expect(screen.getByTestId('a').textContent).toBe('joining')
      await waitFor(() => expect(screen.getByTestId('a').textContent).toBe('joined'))
      const connection = await server.nextConnection()
      await waitFor(() => expect(connection.rooms).toEqual(new Set(['orders'])))
      if (protocol === 'v2') expect(roomRecords(connection)).toBe(1) // one join
      act(() => setShown({ a: false, b: true }))
      await act(() => new Promise<void>((resolve) => queueMicrotask(resolve)))
      expect(screen.getByTestId('b').textContent).toBe('joined')
      act(() => setShown({ a: false, b: false }))
      await waitFor(() => expect(connection.rooms).toEqual(new Set()))
      if (protocol === 'v1') {
        expect(roomFrames(connection.frames)).toEqual([
          { event: 'join', data: { rooms: ['orders'] } },
          { event: 'leave', data: { rooms: ['orders'] } },
        ])
      } else {
        expect(roomRecords(connection)).toBe(2) // then one leave
      }
    },
  )

  it('re-joins after a reconnect, and switches rooms when the name changes', async () => {
    const server = mockServer()
    const options = clientOptions(server.url, { reconnect: { interval: 5, jitter: 'none' } })
    const { rerender } = render(
      <EncryptedSocketProvider options={options}>
        <Member id="m" room="desk-1" />
      </EncryptedSocketProvider>,
    )
    const first = await server.nextConnection()
    await waitFor(() => expect(first.rooms).toEqual(new Set(['desk-1'])))
    act(() => first.drop(1006))
    // The reconnect re-renders Member while the test waits; act() keeps React from warning about it.
    const second = await act(() => server.nextConnection())
    await waitFor(() => expect(second.rooms).toEqual(new Set(['desk-1'])))
    rerender(
      <EncryptedSocketProvider options={options}>
        <Member id="m" room="desk-2" />
      </EncryptedSocketProvider>,
    )
    await waitFor(() => expect(second.rooms).toEqual(new Set(['desk-2'])))
    rerender(
      <EncryptedSocketProvider options={options}>
        <Member id="m" room={null} />
      </EncryptedSocketProvider>,
    )
    await waitFor(() => expect(second.rooms).toEqual(new Set()))
    expect(screen.getByTestId('m').textContent).toBe('left')
  })
})

describe('useRoom onGap (v2)', () => {
  it("calls the latest onGap when the room's missed messages are gone after a reconnect, and not for other rooms", async () => {
    const server = mockServer()
    const calls: string[] = []
    function Desk({ room, label }: { room: string; label: string }) {
      useRoom(room, { onGap: () => calls.push(`${room}:${label}`) })
      return null
    }
    const options = clientOptions(server.url, { reconnect: { interval: 1, maxInterval: 1 } })
    const view = render(
      <EncryptedSocketProvider options={options}>
        <Desk room="desk-1" label="old" />
        <Desk room="desk-2" label="old" />
      </EncryptedSocketProvider>,
    )
    const first = await server.nextConnection()
    await waitFor(() => expect(first.rooms.size).toBe(2))
    view.rerender(
      <EncryptedSocketProvider options={options}>
        <Desk room="desk-1" label="new" />
        <Desk room="desk-2" label="new" />
      </EncryptedSocketProvider>,
    )
    server.loseRoomHistory('desk-1')
    act(() => first.drop())
    const second = await server.nextConnection()
    await waitFor(() => expect(second.rooms.size).toBe(2))
    await waitFor(() => expect(calls).toEqual(['desk-1:new']))
  })
})

describe('useRoom denied', () => {
  it.each(['v1', 'v2'] as const)(
    "shows 'denied' and calls the latest onDenied with the reason, while the other room is joined (%s)",
    async (protocol) => {
      const server = mockServer({ protocol })
      server.denyRoom('ana-private', { code: 'FORBIDDEN', message: 'Not your room.' })
      const denials: string[] = []
      function Desk({ room, label }: { room: string; label: string }) {
        const status = useRoom(room, { onDenied: (denial) => denials.push(`${label}:${denial.code}`) })
        const denial = useSocketSelector((snapshot) => getRoomDenial(snapshot, room))
        return <p data-testid={room}>{`${status}${denial ? ` ${denial.message}` : ''}`}</p>
      }
      const view = render(
        <EncryptedSocketProvider options={clientOptions(server.url, { protocol })}>
          <Desk room="ana-private" label="old" />
          <Desk room="lobby" label="old" />
        </EncryptedSocketProvider>,
      )
      view.rerender(
        <EncryptedSocketProvider options={clientOptions(server.url, { protocol })}>
          <Desk room="ana-private" label="new" />
          <Desk room="lobby" label="new" />
        </EncryptedSocketProvider>,
      )
      await waitFor(() => expect(screen.getByTestId('lobby').textContent).toBe('joined'))
      const reason =
        protocol === 'v2' ? 'Not your room.' : 'Room "ana-private" refused (FORBIDDEN): Not your room.'
      await waitFor(() => expect(screen.getByTestId('ana-private').textContent).toBe(`denied ${reason}`))
      expect(denials).toEqual([`new:${protocol === 'v2' ? 'FORBIDDEN' : 'JOIN_DENIED'}`])
    },
  )
})
