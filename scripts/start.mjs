// `npm start`: the demo. The server with its demo handlers (and a token endpoint standing in for
// your auth service), the React chat and the Vue chat, all on 127.0.0.1. Ctrl-C stops everything.
import { fileURLToPath } from 'node:url'
import { createServer } from 'vite'
import { startDemoServer } from '../examples/demo-server.mjs'

const example = (name) => fileURLToPath(new URL(`../examples/${name}`, import.meta.url))

const backend = await startDemoServer({ port: 8787, tokenPort: 8788 })
const apps = []
for (const [name, port] of [
  ['react-chat', 5173],
  ['vue-chat', 5174],
]) {
  const server = await createServer({
    root: example(name),
    server: { host: '127.0.0.1', port, strictPort: true },
    logLevel: 'warn',
  })
  await server.listen()
  apps.push(server)
}

console.log(`
encrypted-socket demo
  server     ${backend.url}  (protocol v2; v1 clients still work; demo handlers: chat + echo)
  tokens     ${backend.tokenUrl}?user=<name>
  React chat http://127.0.0.1:5173/?user=ana
  Vue chat   http://127.0.0.1:5174/?user=ben

Open both, chat in #lobby, press "Drop connection" in one and keep typing: the messages wait in the
outbox and go out encrypted under a new key when you go back online. Each shows what a proxy sees of
its connection; add &protocol=v1 to a chat's URL to see a v1 client. Ctrl-C stops everything.
`)

let stopping = false
async function stop() {
  if (stopping) return
  stopping = true
  await Promise.all([backend.close(), ...apps.map((app) => app.close())])
  process.exit(0)
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
