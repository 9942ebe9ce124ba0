/** The events that travel in plaintext. Everything else is an application event. */
export const CONTROL_EVENTS = ['authenticate', 'connected', 'error', 'heartbeat', 'join', 'leave'] as const

export type ControlEvent = (typeof CONTROL_EVENTS)[number]

/** The envelope of encrypted application messages; not an application event name either. */
export const ENCRYPTED_EVENT = 'encrypted'

const RESERVED: ReadonlySet<string> = /* @__PURE__ */ new Set([...CONTROL_EVENTS, ENCRYPTED_EVENT])

/** True for names the protocol reserves: an application must not send an event by that name. */
export function isReservedEvent(event: string): boolean {
  return RESERVED.has(event)
}
