// Server messages as record items: a control message's JSON, or a `msg`/`res` whose data becomes
// an attachment when it is a Uint8Array.
import type { ServerMessage } from '@encrypted-socket/core'
import type { RecordItem } from './recordWriter'

/** A Uint8Array from this realm or another (jsdom, iframes). */
export function isBytes(value: unknown): value is Uint8Array {
  return ArrayBuffer.isView(value) && Object.prototype.toString.call(value) === '[object Uint8Array]'
}

/** A control message (anything but `msg` and `res`). */
export function controlItem(message: Exclude<ServerMessage, { t: 'msg' | 'res' }>): RecordItem {
  return { json: JSON.stringify(message) }
}

/**
 * A `msg` (head `{ t: 'msg', event }`) or a `res` (head `{ t: 'res', id, seq }`) carrying
 * `data`: as `"bin":true` and the attachment when it is a Uint8Array, else as JSON `data`.
 */
export function dataItem(head: Record<string, string | number>, data: unknown): RecordItem {
  if (isBytes(data)) return { json: JSON.stringify({ ...head, bin: true }), attachment: data }
  return { json: JSON.stringify(data === undefined ? head : { ...head, data }) }
}
