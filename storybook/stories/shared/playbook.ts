// The assertions every story's `play` makes, shared by the React and Vue stories (they show the
// same scenario the same way). The mock speaks protocol v2, as @encrypted-socket/server does.
import { expect, waitFor, within } from 'storybook/test'
import { controls, type Scenario, type ScenarioName } from './scenarios'

type Canvas = ReturnType<typeof within>
const text = (canvas: Canvas, id: string) => canvas.getByTestId(id).textContent ?? ''
const eventually = (check: () => void | Promise<void>, timeout = 5000) => waitFor(check, { timeout })
const click = (canvas: Canvas, name: string) => canvas.getByRole('button', { name }).click()

export const plays: Record<ScenarioName, (canvas: Canvas, scenario: Scenario) => Promise<void>> = {
  async disconnected(canvas, scenario) {
    await eventually(() => expect(text(canvas, 'state')).toBe('disconnected'))
    expect(text(canvas, 'protocol')).toBe('—')
    expect(scenario.server.connections).toHaveLength(0)
  },
  async connecting(canvas) {
    await eventually(() => expect(text(canvas, 'state')).toBe('connecting'))
    expect(text(canvas, 'encrypted')).toBe('no')
  },
  async authenticating(canvas) {
    await eventually(() => expect(text(canvas, 'state')).toBe('authenticating'))
    expect(text(canvas, 'encrypted')).toBe('no')
  },
  async authenticated(canvas, scenario) {
    await eventually(() => expect(text(canvas, 'state')).toBe('authenticated'))
    expect(text(canvas, 'encrypted')).toBe('yes')
    expect(text(canvas, 'protocol')).toBe('v2')
    click(canvas, 'Send')
    await eventually(() => expect(text(canvas, 'server')).toContain('message 1'))
    // What a proxy saw the client send: the hello (its public key) as text, then binary records only.
    const connection = scenario.server.connections[0]!
    expect(connection.frames).toHaveLength(1)
    expect(connection.frames[0]).toMatch(/^\{"event":"hello","data":\{"clientPublicKey":"[\w+/]+=*"\}\}$/)
    expect(connection.records.length).toBeGreaterThanOrEqual(3) // auth, join, the message
    const wire = connection.records.map((record) => new TextDecoder().decode(record)).join('\n')
    expect(wire).not.toContain('message 1')
    expect(wire).not.toContain('demo') // the token
  },
  async reconnecting(canvas) {
    await eventually(() => expect(text(canvas, 'state')).toBe('authenticated'))
    click(canvas, 'Drop')
    await eventually(() => expect(text(canvas, 'state')).toBe('reconnecting'))
    await eventually(() => expect(text(canvas, 'retry')).toMatch(/^1 in (10|9)s$/))
    expect(text(canvas, 'error')).toBe('ERR_CONNECTION_CLOSED')
  },
  async rejected(canvas, scenario) {
    await eventually(() => expect(text(canvas, 'error')).toBe('ERR_REJECTED'))
    expect(text(canvas, 'state')).toBe('disconnected')
    expect(scenario.server.connections).toHaveLength(1) // no retry storm
  },
  async handshakeTimeout(canvas) {
    await eventually(() => expect(text(canvas, 'error')).toBe('ERR_HANDSHAKE_TIMEOUT'))
    expect(text(canvas, 'state')).toBe('disconnected')
  },
  async retriesExhausted(canvas) {
    await eventually(() => expect(text(canvas, 'error')).toBe('ERR_RETRIES_EXHAUSTED'))
    expect(text(canvas, 'state')).toBe('disconnected')
  },
  async tampered(canvas) {
    // v2: a record that does not open ends the connection (4001), and the client reconnects.
    await faultThenReconnect(canvas, 'Tamper', 'ERR_DECRYPT', 4001)
    expect(text(canvas, 'seen')).not.toContain('forged')
  },
  async outbox(canvas, scenario) {
    await eventually(() => expect(text(canvas, 'state')).toBe('authenticated'))
    const first = scenario.server.connections[0]!
    click(canvas, 'Drop')
    await eventually(() => expect(text(canvas, 'state')).toBe('reconnecting'))
    click(canvas, 'Send')
    click(canvas, 'Send')
    await eventually(() => expect(text(canvas, 'queued')).toBe('waiting to send: 2'))
    await eventually(() => expect(text(canvas, 'server')).toBe('server received: message 1, message 2'))
    expect(text(canvas, 'queued')).toBe('waiting to send: 0')
    expect(first.received).toHaveLength(0)
  },
  async sharedRoom(canvas, scenario) {
    await eventually(() => expect(canvas.getAllByTestId('member').map((m: HTMLElement) => m.textContent)).toEqual(['member 1: lobby joined', 'member 2: lobby joined']))
    // v2 joins travel encrypted, so the mock counts them. Records go out in counter order: once the
    // message sent now arrived, so did every join before it. Two members, one join.
    click(canvas, 'Send')
    await eventually(() => expect(text(canvas, 'server')).toBe('server received: message 1'))
    const connection = scenario.server.connections[0]!
    expect([...connection.rooms]).toEqual(['lobby'])
    expect(connection.records).toHaveLength(3) // auth, join, the message
  },
  async reorderedRecord(canvas) {
    // The next two records go out swapped: the first to arrive does not open under its counter.
    await faultThenReconnect(canvas, 'Reorder', 'ERR_DECRYPT', 4001)
    expect(text(canvas, 'seen')).toBe('delivered here: —') // neither message, in no order
  },
  async deadConnection(canvas, scenario) {
    await eventually(() => expect(text(canvas, 'state')).toBe('authenticated'))
    const first = scenario.server.connections[0]!
    await eventually(() => expect(first.heartbeats).toBeGreaterThan(0)) // pings answered so far
    // The socket stays open but nothing comes back: pongTimeout (1.5 s) after a ping, close 4007.
    await faultThenReconnect(canvas, 'Ignore pings', 'ERR_PONG_TIMEOUT', 4007)
  },
  async keyMismatch(canvas, scenario) {
    // Another ecdhInfo: the server cannot open record #0 and closes 4001; retrying cannot help.
    await eventually(() => expect(text(canvas, 'error')).toBe('ERR_KEY_MISMATCH'))
    expect(text(canvas, 'state')).toBe('disconnected')
    expect(text(canvas, 'encrypted')).toBe('no')
    await eventually(() => expect(text(canvas, 'connections')).toBe('server connections: v2 closed 4001'))
    expect(scenario.server.connections).toHaveLength(1)
  },
}

/**
 * Presses the button that injects a fault into the authenticated connection, then sees the client
 * report `code`, the mock's connection end with `closeCode`, and a new connection authenticate.
 */
async function faultThenReconnect(canvas: Canvas, button: string, code: string, closeCode: number) {
  await eventually(() => expect(text(canvas, 'state')).toBe('authenticated'))
  expect(text(canvas, 'protocol')).toBe('v2')
  click(canvas, button)
  await eventually(() => expect(text(canvas, 'errors')).toBe(code))
  await eventually(() => expect(text(canvas, 'connections')).toBe(`server connections: v2 closed ${closeCode}, v2 open`))
  await eventually(() => expect(text(canvas, 'state')).toBe('authenticated'))
  expect(text(canvas, 'protocol')).toBe('v2')
  expect(text(canvas, 'error')).toBe('—') // cleared by the new connection; "errors so far" keeps it
}

export { controls }
