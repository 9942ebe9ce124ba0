/** What fan-out needs of a connection (ServerConnection). */
export interface Recipient {
  seal(plaintext: Uint8Array): string | null
  write(frame: string): boolean
}

/** Sealed frames held at once while fanning out, in plaintext bytes. */
const BATCH_BYTES = 1024 * 1024
const MAX_BATCH = 256

/**
 * Sends one serialised message to many connections, each under its own key; returns how many
 * were sent. Frames are sealed a batch at a time, then written back to back: alternating one
 * encryption and one socket write per recipient measurably costs more. The batch is bounded in
 * bytes, so a large message is not held in memory once per recipient.
 */
export function sealAndSend(recipients: readonly Recipient[], plaintext: Uint8Array): number {
  const batchSize = Math.min(MAX_BATCH, Math.max(1, Math.floor(BATCH_BYTES / plaintext.length)))
  let sent = 0
  for (let start = 0; start < recipients.length; start += batchSize) {
    const sealed = recipients
      .slice(start, start + batchSize)
      .map((connection) => ({ connection, frame: connection.seal(plaintext) }))
    for (const { connection, frame } of sealed) if (frame !== null && connection.write(frame)) sent++
  }
  return sent
}
