// Run by workersDist.test.ts: the built package as a user installs it (ESM or CommonJS), with
// `workers`. Prints what two real clients (v1, v2) received, then closes or drains the server and
// returns without process.exit: the process ends only if nothing (no worker thread) is left open.
import { createRequire } from 'node:module'
import { EncryptedWebSocketClient } from '@encrypted-socket/core'
import { SignJWT } from 'jose'
import WebSocket from 'ws'

const [format, ending] = process.argv.slice(2)
const server_ =
  format === 'cjs' ? createRequire(import.meta.url)('../dist/index.cjs') : await import('../dist/index.js')
const secret = 'a-test-secret-of-at-least-32-bytes!'
const server = await server_.createEncryptedSocketServer({
  port: 0,
  ecdhInfo: 'dist-test',
  jwtSecret: secret,
  workers: 2,
  logger: server_.silentLogger,
})
const received = []
const clients = []
for (const protocol of ['v1', 'v2']) {
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(protocol)
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(secret))
  const silent = { info() {}, warn() {}, error() {}, debug() {} }
  const client = new EncryptedWebSocketClient({
    url: server.url,
    ecdhInfo: 'dist-test',
    token,
    WebSocket,
    protocol,
    logger: silent,
    autoJoinRooms: ['r'],
  })
  let wake
  const all = new Promise((resolve) => (wake = resolve))
  const got = []
  client.on('m', (data) => {
    got.push(data.k)
    if (got.length === 3) wake()
  })
  await client.connect()
  clients.push({ client, got, all })
}
while (server.roomMembers('r').length < 2) await new Promise((resolve) => setImmediate(resolve))
await server.broadcast('m', { k: 1 })
await server.sendToRoom('r', 'm', { k: 2 })
await server.broadcast('m', { k: 3 })
await Promise.all(clients.map(({ all }) => all))
for (const { got } of clients) received.push(got)
console.log(JSON.stringify({ received, sealedThere: server.sealWorkers.sealedThere }))
for (const { client } of clients) client.destroy()
await (ending === 'drain' ? server.drain({ timeout: 1000 }) : server.close({ timeout: 1000 }))
console.log(`${ending}d, running ${server.sealWorkers.running}`)
