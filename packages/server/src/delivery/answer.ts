import { encodeRecordPlaintext } from '@encrypted-socket/core'
import type { ServerLogger } from '../logger'

/** What a `res` carries besides its id and seq: data (JSON text), binary data, or an error. */
export interface Answer {
  dataJson?: string
  binary?: Uint8Array
  error?: { code: string; message: string }
}

/** How an event handler ended: with its return value, or with what it threw. */
export type HandlerOutcome = { value: unknown } | { error: unknown }

const NODE_CODE = /^ERR_[A-Z0-9_]+$/
const FAILED: Answer = { error: { code: 'HANDLER_FAILED', message: 'The handler failed.' } }

/**
 * The answer to a request: the handler's return value (nothing for undefined, a Buffer,
 * Uint8Array or ArrayBuffer as binary data, anything else as JSON), or the error it threw when that
 * error has a string `code` (its `code` and `message` reach the client). Any other error, a value
 * that is not JSON, and errors that look like Node's own (system errors, which carry `errno` or
 * `syscall`, and `ERR_*` codes, Node's convention and this library's) become `HANDLER_FAILED`,
 * which says nothing of the server: their messages tell paths, addresses and values.
 */
export function answerOf(outcome: HandlerOutcome, logger: ServerLogger, context: object): Answer {
  if ('error' in outcome) {
    const error = clientError(outcome.error)
    return error ? { error } : FAILED
  }
  const { value } = outcome
  if (value === undefined) return {}
  if (value instanceof Uint8Array) return { binary: value }
  if (value instanceof ArrayBuffer) return { binary: new Uint8Array(value) }
  try {
    const dataJson = JSON.stringify(value) as string | undefined
    return dataJson === undefined ? {} : { dataJson }
  } catch (error) {
    logger.error('request answer is not JSON', { ...context, error: String(error) })
    return FAILED
  }
}

/** The `code` and `message` of an error the application threw for the client, or null. */
export function clientError(error: unknown): { code: string; message: string } | null {
  if (typeof error !== 'object' || error === null) return null
  const { code, message } = error as Record<string, unknown>
  if (typeof code !== 'string') return null
  if ('syscall' in error || 'errno' in error) return null // a system error (ECONNREFUSED…)
  if (NODE_CODE.test(code)) return null // ERR_INVALID_ARG_TYPE…
  return { code, message: typeof message === 'string' ? message : '' }
}

/** The record plaintext of `{"t":"res","id":…,"seq":…}` with the answer's data, attachment or error. */
export function resPlaintext(id: number, seq: number, answer: Answer): Uint8Array {
  const head = JSON.stringify({ t: 'res', id, seq, ...(answer.error ? { error: answer.error } : {}) })
  const tail = answer.binary
    ? ',"bin":true'
    : answer.dataJson === undefined
      ? ''
      : `,"data":${answer.dataJson}`
  return encodeRecordPlaintext(`${head.slice(0, -1)}${tail}}`, answer.binary)
}
