// What the throughput benchmarks (Node and Chromium) send: the sizes, the messages per run, and
// the payload (`{ text }`, whose `{"event":"echo","data":…}` JSON is about `size` bytes).
export const SIZES = [
  ['64 B', 64, 2000],
  ['1 KiB', 1024, 2000],
  ['16 KiB', 16 * 1024, 500],
  ['256 KiB', 256 * 1024, 60],
  ['1 MiB', 1024 * 1024, 20],
]

export const echoPayload = (size) => ({ text: 'x'.repeat(Math.max(0, size - 30)) })

/**
 * The sizes `BENCH_SIZES` names (labels or bytes, comma-separated: `BENCH_SIZES='64 B,1024'`), or
 * `fallback` (labels; every size when absent) when it is not set.
 */
export function selectedSizes(fallback) {
  const wanted = process.env.BENCH_SIZES ? process.env.BENCH_SIZES.split(',').map((s) => s.trim()) : fallback
  if (!wanted) return SIZES
  const chosen = SIZES.filter(([label, size]) => wanted.includes(label) || wanted.includes(String(size)))
  if (chosen.length === 0) throw new Error(`BENCH_SIZES names none of ${SIZES.map(([label]) => label).join(', ')}`)
  return chosen
}

/**
 * Echo messages per second of an encrypted client, pipelined, until every reply arrived (with
 * `acked`, also until every send settled: v2, acknowledged by the server).
 */
export async function encryptedRate(client, size, count, { acked = false } = {}) {
  let received = 0
  let done
  const replies = new Promise((resolve) => (done = resolve))
  const stop = client.on('echo.reply', () => ++received === count && done())
  const data = echoPayload(size)
  const start = performance.now()
  const sends = []
  for (let i = 0; i < count; i++) sends.push(client.send('echo', data))
  await (acked ? Promise.all([replies, ...sends]) : replies)
  const elapsed = performance.now() - start
  stop()
  return (count * 1000) / elapsed
}

/** The same for a plain `ws` socket to the plain echo server, sending the same JSON. */
export async function plainRate(plain, size, count) {
  let received = 0
  let done
  const finished = new Promise((resolve) => (done = resolve))
  const onMessage = () => ++received === count && done()
  plain.on('message', onMessage)
  const text = JSON.stringify({ event: 'echo', data: echoPayload(size) })
  const start = performance.now()
  for (let i = 0; i < count; i++) plain.send(text)
  await finished
  plain.off('message', onMessage)
  return (count * 1000) / (performance.now() - start)
}
