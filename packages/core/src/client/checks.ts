// The checks of the public methods' arguments and of the state they are called in, each failure
// with a code and a message that says what to do.
import { EncryptedSocketError, type ErrorCode } from '../errors'
import { isReservedEvent } from '../protocol/controlEvents'
import { isDuration } from '../options'
import type { ConnectionState, SendOptions } from '../types'

export interface SendContext {
  destroyed: boolean
  state: ConnectionState
  /** The connection is up without a session key (a server without encryption). */
  plaintextOnly: boolean
  /** Protocol v1 names are reserved for its control frames; v2 has none. */
  reservedNames: boolean
  /** The payload is binary and v1 is spoken (or required): why it cannot go, else null. */
  binaryRefused: string | null
  /** Sends already waiting in the outbox, and how many may. */
  waiting: number
  maxWaiting: number
  /** The last error is the server refusing the token (`ERR_REJECTED`). */
  tokenRefused?: boolean
}

/** Throws why `send(event)` cannot be taken now, if it cannot. */
export function checkSend(event: string, options: SendOptions, context: SendContext): void {
  if (context.destroyed) throw destroyedError(`send("${event}")`)
  if (typeof event !== 'string' || event.length === 0) {
    throw new EncryptedSocketError('ERR_INVALID_ARGUMENT', 'send() needs a non-empty event name.')
  }
  if (context.reservedNames && isReservedEvent(event)) {
    throw new EncryptedSocketError(
      'ERR_RESERVED_EVENT',
      __DEV__ ? `"${event}" is a protocol event name; pick another.` : `"${event}" is reserved.`,
    )
  }
  const { state } = context
  const refuse = (code: ErrorCode, why: string) =>
    new EncryptedSocketError(code, `send("${event}") refused: ${why}.`)
  if (context.binaryRefused) throw refuse('ERR_INVALID_PAYLOAD', context.binaryRefused)
  if (state === 'disconnected') {
    throw refuse(
      'ERR_NOT_CONNECTED',
      context.tokenRefused
        ? 'the server refused the token (ERR_REJECTED): get a new one, then connect()'
        : 'call connect() first',
    )
  }
  if (state === 'authenticated') {
    if (context.plaintextOnly) {
      throw refuse(
        'ERR_PLAINTEXT_REJECTED',
        'the server set up no encryption; events are never sent in plaintext',
      )
    }
  } else if (options.queue === false) {
    throw refuse('ERR_NOT_CONNECTED', `"${state}" and { queue: false }`)
  } else if (context.waiting >= context.maxWaiting) {
    throw refuse('ERR_OUTBOX_FULL', `${context.waiting} messages already wait (outbox.maxSize)`)
  }
}

/** Throws when `timeout`, `maxAge` or `signal` is of the wrong kind. */
export function checkSendOptions(call: string, { timeout, maxAge, signal }: SendOptions): void {
  for (const [name, value] of [
    ['timeout', timeout],
    ['maxAge', maxAge],
  ] as const) {
    if (value !== undefined && !isDuration(value)) {
      throw new EncryptedSocketError(
        'ERR_INVALID_ARGUMENT',
        __DEV__ ? `${call}: ${name} must be a number of ms > 0 (or Infinity).` : `${call}: invalid ${name}.`,
      )
    }
  }
  if (signal !== undefined && typeof signal?.addEventListener !== 'function') {
    throw new EncryptedSocketError(
      'ERR_INVALID_ARGUMENT',
      __DEV__ ? `${call}: signal must be an AbortSignal.` : `${call}: invalid signal.`,
    )
  }
}

export function checkRooms(method: string, rooms: readonly string[]): void {
  if (!Array.isArray(rooms) || !rooms.every((room) => typeof room === 'string' && room.length > 0)) {
    throw new EncryptedSocketError('ERR_INVALID_ARGUMENT', `${method}() needs non-empty room names.`)
  }
}

export function destroyedError(call: string): EncryptedSocketError {
  return new EncryptedSocketError(
    'ERR_DESTROYED',
    __DEV__ ? `${call} after destroy(): create a new client.` : `${call} after destroy().`,
  )
}
