// The `onTraffic` tap: decrypted application events, handed to the application that asked for
// them. Nothing else in the client shows a decrypted payload.
import type { ResolvedOptions } from '../options'
import type { TrafficEntry } from '../types'
import type { OutgoingMessage } from './session'

export type TrafficTap = (direction: TrafficEntry['direction'], event: string, data: unknown) => void

/** The tap, or undefined when the application set none (then nothing is parsed back or copied). */
export function trafficTap({ onTraffic, logger }: ResolvedOptions): TrafficTap | undefined {
  if (!onTraffic) return undefined
  return (direction, event, data) => {
    try {
      onTraffic({ direction, event, data, at: Date.now() })
    } catch (error) {
      logger.error('[encrypted-socket] onTraffic threw', error)
    }
  }
}

/** A written message's payload as it went out: parsed back from the JSON that was sealed. */
export function sentData(message: OutgoingMessage): unknown {
  if (message.binary) return message.binary
  return message.dataJson === undefined ? undefined : JSON.parse(message.dataJson)
}
