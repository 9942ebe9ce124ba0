// A send's or request's own limits: its `timeout` and its `signal`. Either gives up through
// `cancel` (the outbox withdraws what has not gone out); settling stops both.
import { EncryptedSocketError } from '../errors'
import type { SendOptions } from '../types'
import type { OutboxItem } from './outbox'

/** How long a `request()` waits for its answer unless told otherwise. */
export const REQUEST_TIMEOUT = 30_000

export function watchSend(
  item: OutboxItem,
  kind: 'send' | 'request',
  { timeout, signal }: SendOptions,
  cancel: (error: EncryptedSocketError) => void,
): void {
  const call = `${kind}("${item.message.event}")`
  const givenUp = (code: 'ERR_SEND_TIMEOUT' | 'ERR_REQUEST_TIMEOUT' | 'ERR_ABORTED', why: string) =>
    new EncryptedSocketError(
      code,
      `${call} ${why} ${item.written ? 'after it went out: the server may still process it' : 'before it went out: it was not sent'}.`,
      { sent: item.written },
    )
  if (signal?.aborted) return cancel(givenUp('ERR_ABORTED', 'was aborted'))
  const timer =
    timeout !== undefined && Number.isFinite(timeout)
      ? setTimeout(
          () =>
            cancel(
              givenUp(
                kind === 'request' ? 'ERR_REQUEST_TIMEOUT' : 'ERR_SEND_TIMEOUT',
                `got no ${kind === 'request' ? 'answer' : 'acknowledgement'} within ${timeout} ms (timeout)`,
              ),
            ),
          timeout,
        )
      : undefined
  const onAbort = () => cancel(givenUp('ERR_ABORTED', 'was aborted'))
  signal?.addEventListener('abort', onAbort, { once: true })
  if (timer === undefined && !signal) return
  const stop = () => {
    clearTimeout(timer)
    signal?.removeEventListener('abort', onAbort)
  }
  const { resolve, reject } = item
  item.resolve = (value) => {
    stop()
    resolve(value)
  }
  item.reject = (error) => {
    stop()
    reject(error)
  }
}

/** The server's handler refused a request: its code and its text, scrubbed of tokens. */
export function requestFailed(error: { code: string; message: string }): EncryptedSocketError {
  return new EncryptedSocketError(
    'ERR_REQUEST_FAILED',
    `The server refused the request (${error.code}): ${error.message}`,
    {
      serverCode: error.code,
    },
  )
}
