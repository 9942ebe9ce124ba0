import {
  destroyOnUnload,
  EncryptedWebSocketClient,
  type ClientOptions,
  type EventMap,
} from '@encrypted-socket/core'
import { shallowRef, toValue, watch, type MaybeRefOrGetter, type ShallowRef } from 'vue'
import { tryOnScopeDispose } from './context'

export interface OwnedClientOptions extends Omit<ClientOptions, 'url' | 'token'> {
  /** The server's URL; a new value reconnects to it. */
  url: MaybeRefOrGetter<string>
  /** The JWT; a new value is used at the next connection attempt. */
  token?: MaybeRefOrGetter<string | undefined>
  /** Connect while true. @default true */
  enabled?: MaybeRefOrGetter<boolean | undefined>
}

const inBrowser = () => typeof window !== 'undefined'

/**
 * A client owned by the current scope: connected while `enabled` (in the browser only, never
 * during server rendering), replaced when `url` changes, destroyed on scope dispose and on page
 * unload.
 */
export function useOwnedClient<Events extends EventMap>(
  options: OwnedClientOptions,
): Readonly<ShallowRef<EncryptedWebSocketClient<Events>>> {
  const { url, token, enabled, ...rest } = options
  const create = () =>
    new EncryptedWebSocketClient<Events>({ ...rest, url: toValue(url), token: toValue(token) })
  const client = shallowRef(create())
  let stopWatchingUnload = inBrowser() ? destroyOnUnload(client.value) : () => undefined

  const dispose = () => {
    stopWatchingUnload()
    client.value.destroy()
  }
  watch(
    () => toValue(url),
    () => {
      dispose()
      client.value = create()
      stopWatchingUnload = destroyOnUnload(client.value)
    },
  )
  watch(
    [client, () => toValue(enabled) ?? true],
    ([current, on]) => {
      if (!inBrowser()) return
      if (on)
        current.connect().catch(() => undefined) // failures show in the snapshot
      else current.disconnect()
    },
    { immediate: true },
  )
  watch(
    () => toValue(token),
    (next) => {
      if (next !== undefined) client.value.updateToken(next)
    },
  )
  tryOnScopeDispose('useEncryptedSocket', dispose)
  return client
}
