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
