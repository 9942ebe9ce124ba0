// Fan-out across instances through Redis: deliveries per second for one room with 1 vs 3
// instances (same number of clients), and the latency the Redis hop adds (median, p99).
import { connectClient, fmt, median, quantile, startRedis, startServer, until } from './lib.mjs'

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 150)
const EVENTS = Number(process.env.BENCH_EVENTS ?? 100)
const RUNS = Number(process.env.BENCH_RUNS ?? 3)

async function setup(instanceCount, redisUrl) {
  const servers = await Promise.all(Array.from({ length: instanceCount }, () => startServer(redisUrl ? { redis: redisUrl } : {})))
  if (redisUrl) await until(() => servers.every((s) => s.redisReady))
  const clients = []
  for (let i = 0; i < CLIENTS; i++) {
    const client = await connectClient(servers[i % instanceCount].url, `u${i}`, { autoJoinRooms: ['bench'] })
    clients.push(client)
  }
  await until(() => servers.reduce((n, s) => n + s.roomMembers('bench').length, 0) === CLIENTS)
  return { servers, clients }
}

async function teardown({ servers, clients }) {
  clients.forEach((c) => c.destroy())
  await Promise.all(servers.map((s) => s.close({ timeout: 500 })))
}

/** EVENTS room events from instance 0; deliveries per second until every client has all. */
async function throughput({ servers, clients }) {
  let delivered = 0
  const stops = clients.map((c) => c.on('tick', () => delivered++))
  const start = performance.now()
  for (let i = 0; i < EVENTS; i++) void servers[0].sendToRoom('bench', 'tick', { i, pad: 'x'.repeat(64) })
  await until(() => delivered === EVENTS * CLIENTS)
  const seconds = (performance.now() - start) / 1000
  stops.forEach((stop) => stop())
  return (EVENTS * CLIENTS) / seconds
}

/** One event at a time: delay to a client on the sending instance vs on another one. */
async function hopLatency({ servers, clients }) {
  const local = clients[0] // on instance 0
  const remote = clients[1] // on instance 1
  const added = []
  const localTimes = []
  const remoteTimes = []
  for (let i = 0; i < 300; i++) {
    let localAt = 0
    let remoteAt = 0
    const stopLocal = local.on('ping', () => (localAt = performance.now()))
    const stopRemote = remote.on('ping', () => (remoteAt = performance.now()))
    const sent = performance.now()
    await servers[0].sendToRoom('bench', 'ping', i)
    await until(() => localAt > 0 && remoteAt > 0)
    stopLocal()
    stopRemote()
    added.push(remoteAt - sent - (localAt - sent))
    localTimes.push(localAt - sent)
    remoteTimes.push(remoteAt - sent)
  }
  return { added, local: localTimes, remote: remoteTimes }
}

const redis = await startRedis()
const rows = []
try {
  for (const instances of [1, 3]) {
    const rates = []
    for (let run = 0; run < RUNS; run++) {
      const world = await setup(instances, instances > 1 ? redis.url : undefined)
      rates.push(await throughput(world))
      await teardown(world)
    }
    rows.push({ instances, clients: CLIENTS, events: EVENTS, 'deliveries/s (median)': fmt(median(rates)) })
  }
  const world = await setup(3, redis.url)
  const { added, local, remote } = await hopLatency(world)
  await teardown(world)
  console.log(`Fan-out to one room of ${CLIENTS} clients (Node ${process.version}, all processes on this machine, medians of ${RUNS} runs)`)
  console.table(rows)
  console.log(`Latency added by the Redis hop (300 sequential events): median ${fmt(median(added), 2)} ms, p99 ${fmt(quantile(added, 0.99), 2)} ms`)
  console.log(`  (send → delivered: same instance median ${fmt(median(local), 2)} ms, through Redis ${fmt(median(remote), 2)} ms)`)
} finally {
  redis.stop()
}
