// Encrypt + decrypt round trips per second of a whole protocol v1 message (inner JSON, UTF-8,
// AES-256-GCM, base64, frame JSON, parse, and back) next to raw Web Crypto AES-GCM on the same
// plaintext bytes, in the same run. Prints the median of several runs and the median of the per-run ratios.
// Run with `pnpm bench:crypto` (it builds first).
import { createEphemeralKeys, deriveSessionKey, openMessage, parseFrame, sealMessage } from '../dist/index.js'

const SIZES = [
  ['64 B', 64],
  ['1 KiB', 1024],
  ['16 KiB', 16 * 1024],
  ['256 KiB', 256 * 1024],
  ['1 MiB', 1024 * 1024],
]
const TARGETS = [0.95, 0.75, 0.45, 0.12, 0.1]
const RUNS = Number(process.env.BENCH_RUNS ?? 7)
const MIN_MS = Number(process.env.BENCH_MIN_MS ?? 250)

async function sessionKey() {
  const client = await createEphemeralKeys()
  const server = await createEphemeralKeys()
  const salt = crypto.getRandomValues(new Uint8Array(32))
  return deriveSessionKey(client.privateKey, server.publicKey, salt, 'bench')
}

/** A chat-like message whose inner JSON is `size` bytes of UTF-8. */
function messageOfSize(size) {
  const overhead = JSON.stringify({ event: 'bench', data: { text: '' } }).length
  const letters = 'abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,'
  let text = ''
  for (let i = 0; i < Math.max(0, size - overhead); i++) text += letters[(i * 7919) % letters.length]
  return { event: 'bench', data: { text } }
}

/**
 * Times the two round trips alternately, one iteration each in turn, so that a slow moment of the
 * machine (or of the Web Crypto thread pool) hits both alike. Returns ops/s for each.
 */
async function interleaved(protocol, raw) {
  await protocol()
  await raw()
  let protocolMs = 0
  let rawMs = 0
  let count = 0
  while (protocolMs + rawMs < 2 * MIN_MS) {
    let start = performance.now()
    await protocol()
    protocolMs += performance.now() - start
    start = performance.now()
    await raw()
    rawMs += performance.now() - start
    count++
  }
  return { protocol: (count * 1000) / protocolMs, raw: (count * 1000) / rawMs }
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}
const fmt = (n) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1))

const key = await sessionKey()
const rows = []
for (const [index, [label, size]] of SIZES.entries()) {
  const message = messageOfSize(size)
  const bytes = new TextEncoder().encode(JSON.stringify(message))
  const protocol = async () => {
    const { frame } = await sealMessage(key, message)
    const parsed = parseFrame(frame)
    if (parsed.type !== 'encrypted') throw new Error('bench: expected an encrypted frame')
    await openMessage(key, parsed.iv, parsed.ct)
  }
  const raw = async () => {
    const iv = crypto.getRandomValues(new Uint8Array(12))
    const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, bytes)
    await crypto.subtle.decrypt({ name: 'AES-GCM', iv }, key, ct)
  }
  const ours = []
  const base = []
  const ratios = []
  for (let run = 0; run < RUNS; run++) {
    const result = await interleaved(protocol, raw)
    ours.push(result.protocol)
    base.push(result.raw)
    ratios.push(result.protocol / result.raw)
  }
  const ratio = median(ratios)
  rows.push({
    size: label,
    'protocol ops/s': fmt(median(ours)),
    'raw AES-GCM ops/s': fmt(median(base)),
    ratio: ratio.toFixed(3),
    target: `≥ ${TARGETS[index].toFixed(2)}`,
    met: ratio >= TARGETS[index] ? 'yes' : 'NO',
  })
}

console.log(
  `Protocol v1 round trip vs raw Web Crypto AES-256-GCM (Node ${process.version}, medians of ${RUNS} runs)`,
)
console.table(rows)
