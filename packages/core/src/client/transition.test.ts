import { describe, expect, it } from 'vitest'
import type { ConnectionState } from '../types'
import { transition, type ClientEvent } from './transition'

type Row = [ConnectionState, ClientEvent['type'], ConnectionState]

const table: Row[] = [
  ['disconnected', 'CONNECT', 'connecting'],
  ['connecting', 'CONNECT', 'connecting'],
  ['authenticated', 'CONNECT', 'authenticated'],
  ['reconnecting', 'RETRY', 'connecting'],
  ['disconnected', 'RETRY', 'disconnected'],
  ['connecting', 'SOCKET_OPEN', 'authenticating'],
  ['disconnected', 'SOCKET_OPEN', 'disconnected'],
  ['authenticated', 'SOCKET_OPEN', 'authenticated'],
  ['authenticating', 'AUTHENTICATED', 'authenticated'],
  ['connecting', 'AUTHENTICATED', 'connecting'],
  ['disconnected', 'AUTHENTICATED', 'disconnected'],
  ['connecting', 'CONNECTION_LOST', 'reconnecting'],
  ['authenticating', 'CONNECTION_LOST', 'reconnecting'],
  ['authenticated', 'CONNECTION_LOST', 'reconnecting'],
  ['disconnected', 'CONNECTION_LOST', 'disconnected'],
  ['reconnecting', 'CONNECTION_LOST', 'reconnecting'],
  ['connecting', 'GIVE_UP', 'disconnected'],
  ['authenticating', 'GIVE_UP', 'disconnected'],
  ['authenticated', 'GIVE_UP', 'disconnected'],
  ['reconnecting', 'GIVE_UP', 'disconnected'],
  ['disconnected', 'GIVE_UP', 'disconnected'],
  ['connecting', 'DISCONNECT', 'disconnected'],
  ['authenticating', 'DISCONNECT', 'disconnected'],
  ['authenticated', 'DISCONNECT', 'disconnected'],
  ['reconnecting', 'DISCONNECT', 'disconnected'],
  ['disconnected', 'DISCONNECT', 'disconnected'],
  ['connected', 'SOCKET_OPEN', 'connected'],
]

describe('transition', () => {
  it.each(table)('%s + %s → %s', (from, type, to) => {
    expect(transition(from, { type })).toBe(to)
  })

  it('never enters `connected` (declared for compatibility only)', () => {
    const states: ConnectionState[] = [
      'disconnected',
      'connecting',
      'authenticating',
      'authenticated',
      'reconnecting',
    ]
    const events: ClientEvent['type'][] = [
      'CONNECT',
      'RETRY',
      'SOCKET_OPEN',
      'AUTHENTICATED',
      'CONNECTION_LOST',
      'GIVE_UP',
      'DISCONNECT',
    ]
    for (const state of states)
      for (const type of events) expect(transition(state, { type })).not.toBe('connected')
  })
})
