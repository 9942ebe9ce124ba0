// A binary payload's protocol round trip (what the client does to send it + what it does to
// receive it, without the socket) ÷ raw Web Crypto AES-256-GCM encrypt + decrypt of the same
// bytes, as `pnpm bench:crypto` does for v1 JSON: protocol v2 (a binary attachment) and protocol v1
// (the same bytes base64'd into a JSON string: v1 has no binary payloads), in Node and in Chromium
// (where the client runs), the same code in both (binaryCryptoCases.mjs). Medians of the per-run ratios.
import * as core from '@encrypted-socket/core'
import { measureBinaryRoundTrips } from './binaryCryptoCases.mjs'
import { openBrowserPage } from './browser.mjs'
import { fmt, median } from './lib.mjs'

const SIZES = (process.env.BENCH_SIZES ?? String(1024 * 1024)).split(',').map(Number)
const RUNS = Number(process.env.BENCH_RUNS ?? 7)
const MIN_MS = Number(process.env.BENCH_MIN_MS ?? 250)
/** The target for v2; v1 is at about 0.2 of raw on 1 MiB of JSON text (`pnpm bench:crypto`). */
const TARGETS = { v2: 0.6 }
const label = (size) => (size >= 1024 * 1024 ? `${size / 1024 / 1024} MiB` : size >= 1024 ? `${size / 1024} KiB` : `${size} B`)

const settings = { sizes: SIZES, runs: RUNS, minMs: MIN_MS }
const engines = [[`Node ${process.version}`, await measureBinaryRoundTrips(core, settings)]]
const browser = await openBrowserPage({ modules: ['binaryCryptoCases.mjs'] })
try {
  const results = await browser.page.evaluate(async (settings) => {
    const core = await import('/core.js')
    const { measureBinaryRoundTrips } = await import('/binaryCryptoCases.mjs')
    return measureBinaryRoundTrips(core, settings)
  }, settings)
  engines.push([`Chromium ${browser.version}`, results])
} finally {
  await browser.stop()
}

const rows = []
for (const [engine, results] of engines) {
  for (const { size, perRun } of results) {
    const rate = (name) => median(perRun.map((run) => run[name]))
    const ratio = (name) => median(perRun.map((run) => run[name] / run[`${name}Raw`]))
    const [v2, v1] = [ratio('v2'), ratio('v1')]
    rows.push({
      engine,
      size: label(size),
      'v2 ops/s': fmt(rate('v2')),
      'v1 ops/s (base64 in JSON)': fmt(rate('v1')),
      'raw AES-GCM ops/s': fmt(median(perRun.flatMap((run) => [run.v2Raw, run.v1Raw]))),
      'v2 ÷ raw': v2.toFixed(3),
      'v1 ÷ raw': v1.toFixed(3),
      'v2 target': `≥ ${TARGETS.v2.toFixed(2)}`,
      met: v2 >= TARGETS.v2 ? 'yes' : 'NO',
    })
  }
}
console.log(`Binary payload round trip (send + receive, no socket) vs raw Web Crypto AES-256-GCM (medians of ${RUNS} runs)`)
console.table(rows)
