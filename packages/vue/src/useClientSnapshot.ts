import type { ClientSnapshot, EncryptedWebSocketClient, EventMap } from '@encrypted-socket/core'
import { shallowRef, toValue, watch, type MaybeRefOrGetter, type ShallowRef } from 'vue'
import { renderingOnServer } from './context'

/** The client's snapshot in a shallowRef, replaced only when the client publishes a new one. */
export function useClientSnapshot<Events extends EventMap>(
  client: MaybeRefOrGetter<EncryptedWebSocketClient<Events>>,
): Readonly<ShallowRef<ClientSnapshot>> {
  const snapshot = shallowRef(toValue(client).getSnapshot())
  if (renderingOnServer()) return snapshot
  watch(
    () => toValue(client),
    (current, _previous, onCleanup) => {
      snapshot.value = current.getSnapshot()
      onCleanup(current.subscribe(() => (snapshot.value = current.getSnapshot())))
    },
    { immediate: true },
  )
  return snapshot
}
