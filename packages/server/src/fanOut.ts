/** What fan-out needs of a connection (ServerConnection): it seals a message `M` into a frame `F`. */
export interface Recipient<M = unknown, F = string> {
  seal(message: M): F | null
  write(frame: F): boolean
}

/** Sealed frames held at once while fanning out, in plaintext bytes. */
const BATCH_BYTES = 1024 * 1024
const MAX_BATCH = 256

/**
 * Sends one message, serialised once, to many connections, each under its own key (and in its
 * own protocol); returns how many were sent. Frames are sealed a batch at a time, then written
 * back to back: alternating one encryption and one socket write per recipient measurably costs
 * more. The batch is bounded in bytes, so a large message is not held in memory once per recipient.
 */
export function sealAndSend<M extends { readonly byteLength: number }, F>(
  recipients: readonly Recipient<M, F>[],
  message: M,
): number {
  const batchSize = fanOutBatchSize(message.byteLength)
  let sent = 0
  for (let start = 0; start < recipients.length; start += batchSize) {
    const sealed = recipients
      .slice(start, start + batchSize)
      .map((connection) => ({ connection, frame: connection.seal(message) }))
    for (const { connection, frame } of sealed) if (frame !== null && connection.write(frame)) sent++
  }
  return sent
}

/** Recipients sealed per batch for a message of `byteLength` bytes (1 to MAX_BATCH, about BATCH_BYTES in all). */
export function fanOutBatchSize(byteLength: number): number {
  return Math.min(MAX_BATCH, Math.max(1, Math.floor(BATCH_BYTES / byteLength)))
}
