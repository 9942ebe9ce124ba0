// Our client against interop/python/v2_server.py: a server side of protocol v2 written from the
// spec alone (pyca/cryptography, websockets), sharing no code with this repository's TypeScript.
// It needs Debian's /usr/bin/python3 with python3-websockets and python3-cryptography
// (scripts/ensure-system-deps.mjs installs them).
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EncryptedWebSocketClient } from '../../src'
import type { ClientOptions } from '../../src/types'
import { ECDH_INFO, onCleanup, recordingLogger, until } from '../helpers'

const PYTHON = '/usr/bin/python3'
const interop = (file: string) =>
  fileURLToPath(new URL(`../../../../interop/python/${file}`, import.meta.url))
/** The ping interval the peer announces in `ready` (it closes a client silent for 3 of them). */
const HEARTBEAT = 300

interface Peer {
  url: string
  /** Every line the peer printed on stdout so far (`CONNECTED conn-1`, `PING conn-1 0`…). */
  lines: string[]
  /** What the peer printed on stderr (its reasons for closing with 4001), shown after the tests. */
  stderr(): string
  stop(): Promise<void>
}

/** Starts the peer on a free port and resolves once it printed `LISTENING <port>`. */
function startPeer(args: string[]): Promise<Peer> {
  // stdin stays a pipe: the peer exits when it closes, so a crashed runner leaves no peer behind.
  const child: ChildProcessWithoutNullStreams = spawn(
    PYTHON,
    [interop('v2_server.py'), '--port', '0', '--exit-on-stdin-eof', ...args],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  )
  const lines: string[] = []
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await exited
  }
  return new Promise((resolve, reject) => {
    const fail = (why: string) => reject(new Error(`the Python peer ${why}\n${stderr}`))
    child.once('error', (error) => fail(`did not start: ${error.message}`))
    child.once('exit', (code, signal) => fail(`exited before listening (${code ?? signal})`))
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line)
      const listening = /^LISTENING (\d+)$/.exec(line)
      if (listening) resolve({ url: `ws://127.0.0.1:${listening[1]}`, lines, stderr: () => stderr, stop })
    })
  })
}

function client(url: string, options: Partial<ClientOptions> = {}) {
  const created = new EncryptedWebSocketClient({
    url,
    ecdhInfo: ECDH_INFO,
    token: 'user:ana',
    protocol: 'v2',
    WebSocket,
    logger: recordingLogger(),
    ...options,
  })
  onCleanup(() => created.destroy())
  return created
}

it('the Python peer reproduces the v2 test vectors byte for byte', () => {
  const run = spawnSync(PYTHON, [interop('check_vectors.py')], { encoding: 'utf8' })
  expect(run.error).toBeUndefined()
  expect(`${run.stdout}${run.stderr}`).toMatch(/^(\d+)\/\1 checks passed/m)
  expect(run.status).toBe(0)
})

describe('our client against the independent Python v2 peer', () => {
  let peer: Peer
  beforeAll(async () => {
    peer = await startPeer(['--ecdh-info', ECDH_INFO, '--heartbeat', String(HEARTBEAT)])
  })
  afterAll(async () => {
    await peer?.stop()
    if (peer?.stderr()) console.warn(`The Python peer's stderr:\n${peer.stderr()}`)
  })

  it('authenticates over v2 with the user the peer names', async () => {
    const c = client(peer.url)
    await c.connect()
    const snapshot = c.getSnapshot()
    expect(snapshot).toMatchObject({ state: 'authenticated', protocol: 'v2', userId: 'ana', encrypted: true })
    expect(snapshot.clientId).toMatch(/^conn-\d+$/)
    // The peer prints READY after sending ready: its line may come a moment after connect().
    await until(() => peer.lines.includes(`READY ${snapshot.clientId} ana`))
  })

  it('gets a JSON event and a binary event echoed back', async () => {
    const c = client(peer.url)
    const replies: unknown[] = []
    c.on('echo.reply', (data) => replies.push(data))
    await c.connect()
    const json = { note: 'zürich ✓', n: [1, 2.5, null], nested: { ok: true } }
    await c.send('echo', json)
    await c.send('echo', new Uint8Array([1, 2, 3]))
    await until(() => replies.length === 2)
    expect(replies[0]).toEqual(json)
    expect(replies[1]).toBeInstanceOf(Uint8Array)
    expect(Array.from(replies[1] as Uint8Array)).toEqual([1, 2, 3])
  })

  it('joins a room and receives the message the peer sends to it after joined', async () => {
    const c = client(peer.url)
    const hellos: unknown[] = []
    c.on('room.hello', (data) => hellos.push(data))
    await c.connect()
    c.joinRooms(['r1'])
    await until(() => hellos.length === 1)
    expect(hellos).toEqual([{ room: 'r1' }])
    expect(c.getSnapshot().rooms).toEqual(['r1'])
  })

  it('stays alive on ping/pong: the heartbeat from ready, every ping answered in time', async () => {
    // The peer closes with 4007 after 3 silent heartbeats; the client after pongTimeout without a
    // pong. Either would show as a second connection, a retry or a CLOSED line.
    const c = client(peer.url, { pongTimeout: 500 })
    await c.connect()
    const id = c.getClientId()!
    const pings = () => peer.lines.filter((line) => line.startsWith(`PING ${id} `)).length
    await until(() => pings() >= 5)
    expect(c.getSnapshot()).toMatchObject({ state: 'authenticated', clientId: id, retryCount: 0 })
    expect(peer.lines.some((line) => line.startsWith(`CLOSED ${id} `))).toBe(false)
  })

  it('is refused (AUTH_FAILED, close 1008) with a token the peer does not accept', async () => {
    const c = client(peer.url, { token: 'not-a-user-token' })
    await expect(c.connect()).rejects.toMatchObject({ code: 'ERR_REJECTED' })
  })
})
