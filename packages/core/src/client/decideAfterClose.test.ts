import { describe, expect, it } from 'vitest'
import { EncryptedSocketError } from '../errors'
import type { ResolvedOptions } from '../options'
import type { CloseInfo } from '../types'
import { decideAfterClose, type ReconnectDecision } from './reconnect'

const RECONNECT: ResolvedOptions['reconnect'] = {
  enabled: true,
  maxRetries: 3,
  interval: 1000,
  backoffMultiplier: 2,
  maxInterval: 30_000,
  jitter: 'none',
  shouldReconnect: undefined,
}

const close = (code: number, retryCount = 0, error: EncryptedSocketError | null = null): CloseInfo => ({
  code,
  reason: '',
  wasClean: false,
  error,
  retryCount,
})

type Expected =
  | ReconnectDecision['type']
  | { type: 'retry-after'; attempt: number; delay: number }
  | { code: string; exhausted: boolean }

describe('decideAfterClose', () => {
  const table: [
    name: string,
    info: CloseInfo,
    immediate: boolean,
    options: Partial<ResolvedOptions['reconnect']>,
    expected: Expected,
  ][] = [
    [
      'a dropped connection backs off (first retry)',
      close(1006),
      false,
      {},
      { type: 'retry-after', attempt: 1, delay: 1000 },
    ],
    [
      'the third retry waits interval × multiplier²',
      close(1011, 2),
      false,
      {},
      { type: 'retry-after', attempt: 3, delay: 4000 },
    ],
    [
      'the delay stops growing at maxInterval',
      close(1006, 2),
      false,
      { maxInterval: 1500 },
      { type: 'retry-after', attempt: 3, delay: 1500 },
    ],
    [
      'maxRetries reached: give up, exhausted',
      close(1006, 3),
      false,
      {},
      { code: 'ERR_RETRIES_EXHAUSTED', exhausted: true },
    ],
    [
      'a refused token (1008) is not retried',
      close(1008),
      false,
      {},
      { code: 'ERR_CONNECTION_CLOSED', exhausted: false },
    ],
    [
      '4401 and 4403 are refusals too',
      close(4403),
      false,
      {},
      { code: 'ERR_CONNECTION_CLOSED', exhausted: false },
    ],
    [
      '1009 (too big) is not retried',
      close(1009),
      false,
      {},
      { code: 'ERR_CONNECTION_CLOSED', exhausted: false },
    ],
    [
      'reconnect disabled: give up',
      close(1006),
      false,
      { enabled: false },
      { code: 'ERR_CONNECTION_CLOSED', exhausted: false },
    ],
    ['a re-key retries at once, even at maxRetries', close(4003, 3), true, {}, 'retry-now'],
    [
      'a re-key still obeys the policy',
      close(4003),
      true,
      { enabled: false },
      { code: 'ERR_CONNECTION_CLOSED', exhausted: false },
    ],
    ['v2: the server re-keys at its record limit (4003): at once', close(4003, 1), false, {}, 'retry-now'],
    ['v2: the first liveness timeout (4007) after a working connection: at once', close(4007), false, {}, 'retry-now'],
    [
      'v2: a liveness timeout again before authenticating: back off',
      close(4007, 1),
      false,
      {},
      { type: 'retry-after', attempt: 2, delay: 2000 },
    ],
    ['v2: protocol version refused (4006) is not retried', close(4006), false, {}, { code: 'ERR_CONNECTION_CLOSED', exhausted: false }],
    ['v2: superseded by a resume elsewhere (4009) is not retried', close(4009), false, {}, { code: 'ERR_CONNECTION_CLOSED', exhausted: false }],
    ['v2: a record violation (4001) backs off', close(4001), false, {}, { type: 'retry-after', attempt: 1, delay: 1000 }],
    ['v2: server authentication failed (4005) backs off', close(4005), false, {}, { type: 'retry-after', attempt: 1, delay: 1000 }],
    [
      'shouldReconnect can retry a refusal',
      close(1008),
      false,
      { shouldReconnect: () => true },
      { type: 'retry-after', attempt: 1, delay: 1000 },
    ],
    [
      'shouldReconnect can refuse a drop',
      close(1006),
      false,
      { shouldReconnect: () => false },
      { code: 'ERR_CONNECTION_CLOSED', exhausted: false },
    ],
  ]

  it.each(table)('%s', (_name, info, immediate, options, expected) => {
    const decision = decideAfterClose(info, immediate, { ...RECONNECT, ...options })
    if (typeof expected === 'string') return expect(decision).toEqual({ type: expected })
    if ('type' in expected) return expect(decision).toEqual(expected)
    expect(decision).toMatchObject({
      type: 'give-up',
      exhausted: expected.exhausted,
      error: { code: expected.code },
    })
  })

  it("gives up with the close's own error when it has one, and names it in the exhausted error", () => {
    const rejected = new EncryptedSocketError('ERR_REJECTED', 'Connection closed (1008).', {
      closeCode: 1008,
    })
    expect(decideAfterClose(close(1008, 0, rejected), false, RECONNECT)).toEqual({
      type: 'give-up',
      error: rejected,
      exhausted: false,
    })
    const timeout = new EncryptedSocketError('ERR_HANDSHAKE_TIMEOUT', 'No handshake within 10 ms.')
    const exhausted = decideAfterClose(close(4000, 3, timeout), false, RECONNECT)
    expect(exhausted).toMatchObject({
      type: 'give-up',
      error: { code: 'ERR_RETRIES_EXHAUSTED', closeCode: 4000, cause: timeout },
    })
    expect(exhausted.type === 'give-up' && exhausted.error.message).toContain('No handshake within 10 ms.')
  })

  it('applies full jitter with the given random source', () => {
    expect(decideAfterClose(close(1006, 1), false, { ...RECONNECT, jitter: 'full' }, () => 0.5)).toEqual({
      type: 'retry-after',
      attempt: 2,
      delay: 1000,
    })
  })
})
