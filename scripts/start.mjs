// `npm start`: the demo. Until the server and the chat apps land, it runs one protocol v1
// handshake and message between two in-process peers built from @encrypted-socket/core, and
// prints what a TLS-terminating proxy would see next to what the application sees.
import {
  createEphemeralKeys,
  deriveSessionKey,
  encodeFrame,
  openMessage,
  parseFrame,
  sealMessage,
} from '@encrypted-socket/core'

const ecdhInfo = 'encrypted-socket-demo'
const client = await createEphemeralKeys()
const server = await createEphemeralKeys()
const salt = crypto.getRandomValues(new Uint8Array(32))

const wire = []
wire.push(encodeFrame({ type: 'authenticate', token: '<your JWT>', clientPublicKey: client.publicKey }))
wire.push(
  encodeFrame({
    type: 'connected',
    id: 'c-1',
    userId: 'demo',
    time: new Date().toISOString(),
    serverPublicKey: server.publicKey,
    salt,
  }),
)
const clientKey = await deriveSessionKey(client.privateKey, server.publicKey, salt, ecdhInfo)
const serverKey = await deriveSessionKey(server.privateKey, client.publicKey, salt, ecdhInfo)

const message = {
  event: 'chat.send',
  data: { room: 'lobby', text: 'hello, nobody in the middle can read this' },
}
const { frame } = await sealMessage(clientKey, message)
wire.push(frame)
const received = parseFrame(frame)
const opened =
  received.type === 'encrypted' ? await openMessage(serverKey, received.iv, received.ct) : undefined

console.log(
  'encrypted-socket: protocol v1 in one process (the server and chat apps arrive with their issues)\n',
)
console.log('What a proxy that terminates TLS sees:')
for (const line of wire) console.log(`  ${line.length > 150 ? `${line.slice(0, 147)}...` : line}`)
console.log('\nWhat the server application sees after decryption:')
console.log(`  ${JSON.stringify(opened)}`)
