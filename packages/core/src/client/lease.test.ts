import { describe, expect, it, vi } from 'vitest'
import { onCleanup } from '../../test/helpers'
import { leaseClient } from './lease'
import { destroyOnUnload } from './pageSignals'

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
  function fakeWindow() {
    const target = new EventTarget()
    vi.stubGlobal('addEventListener', target.addEventListener.bind(target))
    vi.stubGlobal('removeEventListener', target.removeEventListener.bind(target))
    onCleanup(() => vi.unstubAllGlobals())
    const pageEvent = (type: string, persisted: boolean) => Object.assign(new Event(type), { persisted })
    return { dispatch: (type: string, persisted = false) => target.dispatchEvent(pageEvent(type, persisted)) }
  }
  const pageClient = () => ({
    destroy: vi.fn(),
    disconnect: vi.fn(),
    connect: vi.fn(() => Promise.resolve()),
  })

  it('is a no-op without window', () => {
    expect(destroyOnUnload(pageClient())()).toBeUndefined()
  })

  it('destroys on pagehide until removed', () => {
    const page = fakeWindow()
    const client = pageClient()
    const remove = destroyOnUnload(client)
    page.dispatch('pagehide')
    expect(client.destroy).toHaveBeenCalledTimes(1)
    remove()
    page.dispatch('pagehide')
    expect(client.destroy).toHaveBeenCalledTimes(1)
  })

  it('only disconnects a page kept in the back/forward cache, and reconnects it when shown', () => {
    const page = fakeWindow()
    const client = pageClient()
    destroyOnUnload(client)
    page.dispatch('pagehide', true)
    expect(client.destroy).not.toHaveBeenCalled()
    expect(client.disconnect).toHaveBeenCalledTimes(1)
    page.dispatch('pageshow', true)
    expect(client.connect).toHaveBeenCalledTimes(1)
    page.dispatch('beforeunload') // a navigation the user may still cancel: nothing happens
    expect(client.destroy).not.toHaveBeenCalled()
  })

  it('does not reconnect when shown again if told not to (an owner that is not enabled)', () => {
    const page = fakeWindow()
    const client = pageClient()
    destroyOnUnload(client, () => false)
    page.dispatch('pagehide', true)
    page.dispatch('pageshow', true)
    expect(client.connect).not.toHaveBeenCalled()
  })
})
