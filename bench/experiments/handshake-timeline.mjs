// Where a connect() spends its time, in Chromium and in Node: a median timeline of one connect()
// over protocol v1 and over protocol v2 against our server (its own process) on 127.0.0.1 — the
// socket's events and frames, and every Web Crypto call with its duration. Not part of `pnpm bench`.
//   node experiments/handshake-timeline.mjs        (TIMELINE_ITERATIONS=60)
import { EncryptedWebSocketClient } from '@encrypted-socket/core'
import WebSocket from 'ws'
import { openBrowserPage } from '../browser.mjs'
import { ECDH_INFO, token } from '../lib.mjs'
import { startServerProcess } from '../serverProcess.mjs'

const ITERATIONS = Number(process.env.TIMELINE_ITERATIONS ?? 60)

/** Runs in the page and in Node alike: `Client` is EncryptedWebSocketClient, `Socket` a WebSocket class. */
async function timelines({ url, ecdhInfo, jwt, iterations }, Client, Socket) {
  const quiet = { info() {}, warn() {}, error() {}, debug() {} }
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
  let marks = []
  let t0 = 0
  const mark = (name) => marks.push([name, performance.now() - t0])
  const label = (data) => (typeof data === 'string' ? `text ${data.slice(9, 9 + data.slice(9).indexOf('"'))}` : `binary ${data.byteLength ?? data.length} B`)
  let last
  class Traced extends Socket {
    constructor(...args) {
      mark('new WebSocket')
      super(...args)
      last = this
      this.addEventListener('open', () => mark('open'))
      this.addEventListener('message', (event) => mark(`← ${label(event.data)}`))
    }
    send(data) {
      mark(`→ ${label(data)}`)
      return super.send(data)
    }
  }
  const subtle = crypto.subtle
  const originals = {}
  for (const method of ['generateKey', 'exportKey', 'importKey', 'deriveBits', 'deriveKey', 'encrypt', 'decrypt', 'digest']) {
    originals[method] = subtle[method]
    subtle[method] = function (...args) {
      const start = performance.now()
      const what = typeof args[0] === 'string' ? args[0] : args[0]?.name
      return originals[method].apply(subtle, args).then((value) => {
        marks.push([`  ${method} ${what} (${(performance.now() - start).toFixed(3)} ms)`, performance.now() - t0])
        return value
      })
    }
  }
  const result = {}
  for (const protocol of ['v1', 'v2']) {
    const runs = []
    for (let i = 0; i < iterations + 10; i++) {
      marks = []
      t0 = performance.now()
      const client = new Client({ url, ecdhInfo, token: jwt, logger: quiet, WebSocket: Traced, protocol })
      await client.connect()
      mark('authenticated')
      const closed = new Promise((resolve) => last.addEventListener('close', resolve))
      client.destroy()
      await closed
      await sleep(15) // Chromium's per-endpoint delay (see handshake-browser.mjs)
      if (i >= 10) runs.push(marks)
    }
    result[protocol] = runs
  }
  for (const [method, original] of Object.entries(originals)) subtle[method] = original
  return result
}

function print(title, result) {
  console.log(`\n${title}`)
  for (const [protocol, runs] of Object.entries(result)) {
    // The runs whose events came in the most common order; per event, the median time.
    const shape = (run) => run.map(([name]) => name.replace(/\(.*\)/, '')).join('|')
    const shapes = new Map()
    for (const run of runs) shapes.set(shape(run), [...(shapes.get(shape(run)) ?? []), run])
    const same = [...shapes.values()].sort((a, b) => b.length - a.length)[0]
    console.log(`  protocol ${protocol} (median of ${same.length} runs with the same order of events)`)
    for (let i = 0; i < same[0].length; i++) {
      const at = same.map((run) => run[i][1]).sort((a, b) => a - b)[same.length >> 1]
      const durations = same.map((run) => Number(/\(([\d.]+) ms\)/.exec(run[i][0])?.[1])).sort((a, b) => a - b)
      const name = same[0][i][0].replace(/\(.*\)/, Number.isNaN(durations[0]) ? '' : `(${durations[durations.length >> 1].toFixed(3)} ms)`)
      console.log(`    ${at.toFixed(3).padStart(7)} ms  ${name}`)
    }
  }
}

const server = await startServerProcess()
const settings = { url: server.url, ecdhInfo: ECDH_INFO, jwt: await token('timeline'), iterations: ITERATIONS }
try {
  const browser = await openBrowserPage()
  try {
    const result = await browser.page.evaluate(
      async ([source, settings]) => {
        const { EncryptedWebSocketClient } = await import('/core.js')
        return (0, eval)(`(${source})`)(settings, EncryptedWebSocketClient, WebSocket)
      },
      [timelines.toString(), settings],
    )
    print(`Chromium ${browser.version}`, result)
  } finally {
    await browser.stop()
  }
  print(`Node ${process.version} (ws)`, await timelines(settings, EncryptedWebSocketClient, WebSocket))
} finally {
  await server.stop()
}
