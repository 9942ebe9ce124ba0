// The assertions every story's `play` makes, shared by the React and Vue stories (they show the
// same scenario the same way).
import { expect, waitFor, within } from 'storybook/test'
import { controls, type Scenario, type ScenarioName } from './scenarios'

type Canvas = ReturnType<typeof within>
const text = (canvas: Canvas, id: string) => canvas.getByTestId(id).textContent ?? ''
const eventually = (check: () => void | Promise<void>, timeout = 5000) => waitFor(check, { timeout })
const click = (canvas: Canvas, name: string) => canvas.getByRole('button', { name }).click()

export const plays: Record<ScenarioName, (canvas: Canvas, scenario: Scenario) => Promise<void>> = {
  async disconnected(canvas, scenario) {
    await eventually(() => expect(text(canvas, 'state')).toBe('disconnected'))
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
    click(canvas, 'Send')
    await eventually(() => expect(text(canvas, 'server')).toContain('message 1'))
    expect(scenario.server.connections[0]?.frames.slice(1).every((f) => f.startsWith('{"event":"encrypted"') || f.includes('"join"'))).toBe(true)
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
    await eventually(() => expect(text(canvas, 'state')).toBe('authenticated'))
    click(canvas, 'Tamper')
    await eventually(() => expect(text(canvas, 'error')).toBe('ERR_DECRYPT'))
    expect(text(canvas, 'state')).toBe('authenticated')
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
    const joins = () => scenario.server.connections[0]!.frames.filter((f) => f.includes('"event":"join"'))
    await eventually(() => expect(joins()).toEqual(['{"event":"join","data":{"rooms":["lobby"]}}']))
  },
}

export { controls }
