import { describe, expect, it, vi } from 'vitest'
import { onCleanup } from '../../test/helpers'
import { destroyOnUnload, leaseClient } from './lease'

const fakeClient = () => ({ destroy: vi.fn() })
const microtask = () => new Promise<void>((resolve) => queueMicrotask(resolve))

describe('leaseClient', () => {
  it('destroys the client a microtask after the last holder lets go', async () => {
    const client = fakeClient()
    const a = leaseClient(client)
    const b = leaseClient(client)
    a()
    a()
    await microtask()
    expect(client.destroy).not.toHaveBeenCalled()
    b()
    await microtask()
    expect(client.destroy).toHaveBeenCalledTimes(1)
  })

  it('keeps the client when it is taken again before the microtask (StrictMode remount)', async () => {
    const client = fakeClient()
    const first = leaseClient(client)
    first()
    const second = leaseClient(client)
    await microtask()
    expect(client.destroy).not.toHaveBeenCalled()
    second()
    await microtask()
    expect(client.destroy).toHaveBeenCalledTimes(1)
  })
})

describe('destroyOnUnload', () => {
  it('destroys on beforeunload until removed, and is a no-op without window', () => {
    expect(destroyOnUnload(fakeClient())()).toBeUndefined()
    const target = new EventTarget()
    vi.stubGlobal('addEventListener', target.addEventListener.bind(target))
    vi.stubGlobal('removeEventListener', target.removeEventListener.bind(target))
    onCleanup(() => vi.unstubAllGlobals())
    const client = fakeClient()
    const remove = destroyOnUnload(client)
    target.dispatchEvent(new Event('beforeunload'))
    expect(client.destroy).toHaveBeenCalledTimes(1)
    remove()
    target.dispatchEvent(new Event('beforeunload'))
    expect(client.destroy).toHaveBeenCalledTimes(1)
  })
})
