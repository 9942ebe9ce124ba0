// A send's payload as it waits in the outbox: JSON text serialised once, at send time (so a later
// change to the object does not change a queued message), or the bytes of a binary payload.
import { EncryptedSocketError } from '../errors'
import type { OutgoingMessage } from './session'

/** Fails with `ERR_INVALID_PAYLOAD` when `data` is neither bytes nor JSON-serialisable. */
export function toOutgoing(event: string, data: unknown): OutgoingMessage {
  if (data instanceof Uint8Array) {
    // Copied, so that the caller may reuse its buffer at once.
    return { event, dataJson: undefined, binary: new Uint8Array(data) }
  }
  let dataJson: string | undefined
  try {
    dataJson = JSON.stringify(data)
  } catch (cause) {
    throw new EncryptedSocketError(
      'ERR_INVALID_PAYLOAD',
      __DEV__
        ? `The data of "${event}" is not JSON (a BigInt, a cycle?).`
        : `The data of "${event}" is not JSON.`,
      {
        cause,
      },
    )
  }
  return { event, dataJson, binary: undefined }
}
