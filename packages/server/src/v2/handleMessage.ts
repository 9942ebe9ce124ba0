import type { MsgMessage } from '@encrypted-socket/core'
import type { ServerConnection } from '../connection'
import { answerOf, type Answer } from '../delivery/answer'
import type { KeyHolder } from '../delivery/idempotencyKeys'

/**
 * Processes one new client message: runs the handlers, unless its idempotency key was processed
 * already for this user (then the earlier answer, once it is known, without running them). For a
 * request (`id`), the answer is what the handler returned or threw; for anything else it is empty.
 */
export async function handleMessage(
  connection: ServerConnection,
  holder: KeyHolder,
  message: MsgMessage,
): Promise<Answer> {
  const { keys, counters, options } = connection.host
  const { key, id: requestId, event } = message
  const userId = connection.userId!
  if (key !== undefined) {
    const claim = await keys.claim(userId, key, holder)
    if (!claim.first) {
      counters.duplicatesRefused++
      return claim.answer
    }
  }
  let answer: Answer = {}
  try {
    const data = message.binary ? asBuffer(message.data as Uint8Array) : message.data
    const outcome = await connection.host.onEvent(connection, event, data, { key, requestId })
    if (requestId !== undefined)
      answer = answerOf(outcome, options.logger, { connection: connection.id, event })
  } finally {
    if (key !== undefined) keys.settle(userId, key, answer)
  }
  return answer
}

/** The attachment as a Buffer over the same bytes (no copy). */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
}
