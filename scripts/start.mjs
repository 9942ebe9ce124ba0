// `npm start`: the demo. Starts @encrypted-socket/server with its demo handlers on 127.0.0.1 and
// a Node client that joins a room and chats, printing what a TLS-terminating proxy would see next
// to what the application sees. (The React and Vue chat apps join it with their issue.)
import { EncryptedWebSocketClient } from '@encrypted-socket/core'
import { createEncryptedSocketServer, createJsonLogger } from '@encrypted-socket/server'
import { SignJWT } from 'jose'
import WebSocket from 'ws'

const port = Number(process.env.PORT ?? 8787)
const ecdhInfo = 'encrypted-socket-demo'
const secret = crypto.getRandomValues(new Uint8Array(32))
const server = await createEncryptedSocketServer({
  port,
  ecdhInfo,
  jwtSecret: Buffer.from(secret).toString('base64url'),
  demo: true,
  logger: createJsonLogger('warn'),
})
const tokenFor = (user) =>
  new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(user)
    .setExpirationTime('8h')
    .sign(new TextEncoder().encode(Buffer.from(secret).toString('base64url')))

// A WebSocket that shows every frame as it crosses the wire.
class ProxyView extends WebSocket {
  send(frame) {
    console.log(`  proxy sees  → ${frame.length > 110 ? `${frame.slice(0, 107)}...` : frame}`)
    super.send(frame)
  }
}

const client = new EncryptedWebSocketClient({
  url: server.url,
  ecdhInfo,
  token: await tokenFor('node-demo'),
  WebSocket: ProxyView,
  autoJoinRooms: ['lobby'],
  logger: { info() {}, debug() {}, warn: console.warn, error: console.error },
})
client.on('chat.message', (message) => console.log(`  app sees    ← ${JSON.stringify(message)}`))
console.log(`encrypted-socket demo server on ${server.url} (ecdhInfo "${ecdhInfo}", demo handlers on)\n`)
await client.connect()
await client.send('chat.send', { room: 'lobby', text: 'hello, nobody in the middle can read this' })

console.log(`\nA development token for user "dev" (8 h):\n${await tokenFor('dev')}`)
console.log('\nThe server keeps running for your own clients. Ctrl-C stops it.')
const stop = async () => {
  client.destroy()
  await server.close()
  process.exit(0)
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
