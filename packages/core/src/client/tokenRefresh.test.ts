import { afterEach, describe, expect, it, vi } from 'vitest'
import { refreshDelay, TokenRefresh } from './tokenRefresh'

describe('refreshDelay', () => {
  it('is 60 s before the expiry, or half the lifetime left when that is shorter', () => {
    expect(refreshDelay(1_000_000 + 3_600_000, 1_000_000)).toBe(3_540_000)
    expect(refreshDelay(1_000_000 + 100_000, 1_000_000)).toBe(50_000)
    expect(refreshDelay(1_000_000, 1_000_000)).toBe(0)
    expect(refreshDelay(900_000, 1_000_000)).toBe(0) // already expired: at once
  })

  it('never exceeds what setTimeout can hold', () => {
    expect(refreshDelay(10 ** 13, 0)).toBe(2 ** 31 - 1)
  })
})

describe('TokenRefresh', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('refreshes on the server’s clock, again after each renewal, and never once stopped', () => {
    vi.useFakeTimers({ now: 1_000_000 })
    let refreshes = 0
    const refresh = new TokenRefresh(() => refreshes++)
    // The device clock is 10 minutes behind the server's: the lifetime left is what counts.
    refresh.start(1_600_000 + 120_000, 1_600_000)
    vi.advanceTimersByTime(59_999)
    expect(refreshes).toBe(0)
    vi.advanceTimersByTime(1)
    expect(refreshes).toBe(1)
    refresh.renewed(1_600_000 + 60_000 + 120_000) // server time now: 1_660_000
    vi.advanceTimersByTime(60_000)
    expect(refreshes).toBe(2)
    refresh.renewed(undefined) // a token without exp: nothing to refresh
    vi.advanceTimersByTime(10 ** 9)
    expect(refreshes).toBe(2)
    refresh.start(Date.now() + 1000, undefined)
    refresh.stop()
    vi.advanceTimersByTime(10_000)
    expect(refreshes).toBe(2)
  })
})
