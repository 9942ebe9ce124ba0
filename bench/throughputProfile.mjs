// Where the v2 echo of small messages spends its CPU (issue 20): the echo of throughput.mjs at one
// size and protocol only, long enough for a CPU profile of both processes. Not part of `pnpm bench`.
//   node --cpu-prof --cpu-prof-dir=/tmp/es-prof throughputProfile.mjs   (fork passes the flags to the server; Node 20 refuses --cpu-prof in NODE_OPTIONS)
//   node throughputProfile.mjs --top /tmp/es-prof/<file>.cpuprofile   (our functions by self time)
// PROFILE_PROTOCOL (v2), PROFILE_SIZE (64), PROFILE_ROUNDS (15) × PROFILE_COUNT (2000) messages.
import { readFileSync } from 'node:fs'

if (process.argv[2] === '--top') {
  // Self time per function; ours are those in packages/*/dist or src (not node:, ws, jose).
  const profile = JSON.parse(readFileSync(process.argv[3], 'utf8'))
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const self = new Map()
  const gaps = profile.timeDeltas
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i])
    self.set(node, (self.get(node) ?? 0) + (gaps[i] ?? 0))
  }
  let total = 0
  let idle = 0
  const perFunction = new Map()
  for (const [node, time] of self) {
    total += time
    const { functionName, url, lineNumber } = node.callFrame
    if (functionName === '(idle)') idle += time
    const file = url.replace(/^.*\/(packages|node_modules)\//, '$1/')
    const key = `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`
    perFunction.set(key, (perFunction.get(key) ?? 0) + time)
  }
  const ours = (key) => /packages\/(core|server)\//.test(key) && !key.includes('node_modules/')
  const rows = [...perFunction].sort((a, b) => b[1] - a[1])
  const pct = (time) => `${((time / total) * 100).toFixed(1)} %`
  console.log(`total ${(total / 1e3).toFixed(0)} ms, idle ${pct(idle)}; ours: ${pct(rows.filter(([k]) => ours(k)).reduce((s, [, t]) => s + t, 0))}`)
  const category = (key) =>
    ours(key) ? 'ours' : key.includes('node:internal/crypto') ? 'node web crypto / crypto (JS and the native calls it makes)'
      : key.includes('node_modules/ws/') ? 'ws' : /^\((idle|garbage collector|program)\)/.test(key) ? key.slice(0, key.indexOf(')') + 1)
      : /^(writev|writeBuffer|writeUtf8String)\b/.test(key) ? 'socket writes (native)' : 'other (node internals, streams, microtasks)'
  const categories = new Map()
  for (const [key, time] of rows) categories.set(category(key), (categories.get(category(key)) ?? 0) + time)
  console.log('by category:')
  for (const [name, time] of [...categories].sort((a, b) => b[1] - a[1])) console.log(`  ${pct(time).padStart(7)}  ${name}`)
  console.log('top 25 overall:')
  for (const [key, time] of rows.slice(0, 25)) console.log(`  ${pct(time).padStart(7)}  ${key}`)
  console.log('top 25 of ours:')
  for (const [key, time] of rows.filter(([k]) => ours(k)).slice(0, 25)) console.log(`  ${pct(time).padStart(7)}  ${key}`)
  process.exit(0)
}

const { connectClient } = await import('./lib.mjs')
const { startServerProcess } = await import('./serverProcess.mjs')
const { echoPayload } = await import('./throughputCases.mjs')
const protocol = process.env.PROFILE_PROTOCOL ?? 'v2'
const size = Number(process.env.PROFILE_SIZE ?? 64)
const rounds = Number(process.env.PROFILE_ROUNDS ?? 15)
const count = Number(process.env.PROFILE_COUNT ?? 2000)
const server = await startServerProcess({ demo: true, maxPayload: 4 * 1024 * 1024 })
const client = await connectClient(server.url, 'profile', { protocol })
// CPU time per message of each process (Linux: the server's from /proc), steadier than msg/s.
const ticks = () => {
  try {
    const fields = readFileSync(`/proc/${server.pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10_000 // utime + stime, 100 Hz ticks -> µs
  } catch {
    return NaN
  }
}
const rates = []
const cpuStart = { client: process.cpuUsage(), server: ticks() }
for (let round = 0; round < rounds; round++) {
  let received = 0
  let done
  const finished = new Promise((resolve) => (done = resolve))
  const stop = client.on('echo.reply', () => ++received === count && done())
  const data = echoPayload(size)
  const start = performance.now()
  for (let i = 0; i < count; i++) void client.send('echo', data)
  await finished
  stop()
  rates.push((count * 1000) / (performance.now() - start))
}
rates.sort((a, b) => a - b)
const clientCpu = process.cpuUsage(cpuStart.client)
const perMessage = (us) => (us / (rounds * count)).toFixed(1)
console.log(
  `${protocol} ${size} B echo: median ${Math.round(rates[Math.floor(rates.length / 2)])} msg/s over ${rounds} rounds of ${count};` +
    ` CPU per message: client ${perMessage(clientCpu.user + clientCpu.system)} µs (all its threads), server ${perMessage(ticks() - cpuStart.server)} µs`,
)
client.destroy()
await server.stop()
process.exit(0)
