import type {
  ClientOptions,
  CreateClientOwner,
  EncryptedWebSocketClient,
  EventMap,
} from '@encrypted-socket/core'
import { useEffect, useMemo, useRef } from 'react'
import { useIsomorphicLayoutEffect } from './useIsomorphicLayoutEffect'

export interface OwnedClientOptions extends ClientOptions {
  /** Connect after mount. Turning it off disconnects. @default true */
  enabled?: boolean
}

/**
 * A client this component creates and owns (core's `createClientOwner`): a new one when `url` or
 * `ecdhInfo` change, connected while `enabled`, destroyed on unmount (a microtask later, so
 * StrictMode's remount keeps it) and on page unload. `token` changes apply at the next
 * connection. Pass `null` to own nothing.
 */
export function useOwnedClient<Events extends EventMap>(
  createOwner: CreateClientOwner,
  options: OwnedClientOptions | null,
): EncryptedWebSocketClient<Events> | null {
  const latest = useRef(options)
  useIsomorphicLayoutEffect(() => {
    latest.current = options
  })
  const owning = options !== null
  const url = options?.url
  const ecdhInfo = options?.ecdhInfo
  const owner = useMemo(() => {
    if (!options) return null
    const { enabled: _enabled, getToken, ...clientOptions } = options
    // The latest getToken is called, so an inline arrow function works.
    const freshToken = getToken && (() => latest.current!.getToken!())
    return createOwner<Events>(freshToken ? { ...clientOptions, getToken: freshToken } : clientOptions)
    // The client is replaced only when where it connects changes; other options are read once.
  }, [createOwner, owning, url, ecdhInfo])

  useEffect(() => owner?.hold(), [owner])
  const token = options?.token
  // Declared first, so that a token and `enabled` changed in one render connect with the new token.
  useEffect(() => owner?.setToken(token), [owner, token])
  const enabled = options?.enabled ?? true
  useEffect(() => owner?.setEnabled(enabled), [owner, enabled])
  return owner?.client ?? null
}
