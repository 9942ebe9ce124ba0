import type {
  ClientOptions,
  CreateClientOwner,
  EncryptedWebSocketClient,
  EventMap,
} from '@encrypted-socket/core'
import { shallowRef, toValue, watch, type MaybeRefOrGetter, type ShallowRef } from 'vue'
import { inBrowser, tryOnScopeDispose } from './context'

export interface OwnedClientOptions extends Omit<ClientOptions, 'url' | 'token'> {
  /** The server's URL; a new value reconnects to it. */
  url: MaybeRefOrGetter<string>
  /** The JWT; a new value is used at the next connection attempt. */
  token?: MaybeRefOrGetter<string | undefined>
  /** Connect while true. @default true */
  enabled?: MaybeRefOrGetter<boolean | undefined>
}

/**
 * A client owned by the current scope (core's `createClientOwner`): connected while `enabled`
 * (in the browser only, never during server rendering), replaced when `url` changes, destroyed
 * on scope dispose and on page unload.
 */
export function useOwnedClient<Events extends EventMap>(
  createOwner: CreateClientOwner,
  options: OwnedClientOptions,
): Readonly<ShallowRef<EncryptedWebSocketClient<Events>>> {
  const { url, token, enabled, ...rest } = options
  const create = () => createOwner<Events>({ ...rest, url: toValue(url), token: toValue(token) })
  let owner = create()
  let release = owner.hold()
  const client = shallowRef(owner.client)
  watch(
    () => toValue(url),
    () => {
      release()
      owner = create()
      release = owner.hold()
      client.value = owner.client
    },
  )
  watch(
    () => toValue(token),
    (next) => owner.setToken(next),
  )
  watch(
    [client, () => toValue(enabled) ?? true],
    ([, on]) => {
      if (!inBrowser()) return
      // Vue runs watchers in the order their sources changed: the token is read here too, so a
      // token and `enabled` changed together connect with the new token whichever came first.
      owner.setToken(toValue(token))
      owner.setEnabled(on)
    },
    { immediate: true },
  )
  tryOnScopeDispose('useEncryptedSocket', () => release())
  return client
}
