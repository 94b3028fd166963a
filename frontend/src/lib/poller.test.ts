import { describe, expect, it, vi } from 'vitest'
import { formatCountdown } from './format'
import { startPolling } from './poller'

describe('startPolling', () => {
  it('runs while the document is visible and catches up when it becomes visible', async () => {
    vi.useFakeTimers()
    const fn = vi.fn()
    let state: DocumentVisibilityState = 'visible'
    vi.spyOn(document, 'visibilityState', 'get').mockImplementation(() => state)
    const stop = startPolling(fn, 1000)
    vi.advanceTimersByTime(2000)
    expect(fn).toHaveBeenCalledTimes(2)

    state = 'hidden'
    document.dispatchEvent(new Event('visibilitychange'))
    vi.advanceTimersByTime(3000)
    expect(fn).toHaveBeenCalledTimes(2)

    state = 'visible'
    document.dispatchEvent(new Event('visibilitychange'))
    expect(fn).toHaveBeenCalledTimes(3)

    stop()
    vi.advanceTimersByTime(5000)
    document.dispatchEvent(new Event('visibilitychange'))
    expect(fn).toHaveBeenCalledTimes(3)
  })

  it('keeps no timer at all while the document is hidden', () => {
    vi.useFakeTimers()
    const fn = vi.fn()
    let state: DocumentVisibilityState = 'hidden'
    vi.spyOn(document, 'visibilityState', 'get').mockImplementation(() => state)
    const stop = startPolling(fn, 1000)
    expect(vi.getTimerCount()).toBe(0) // hidden from the start: nothing armed

    state = 'visible'
    document.dispatchEvent(new Event('visibilitychange'))
    expect(fn).toHaveBeenCalledTimes(1)
    expect(vi.getTimerCount()).toBe(1)
    document.dispatchEvent(new Event('visibilitychange')) // a repeated "visible": no second timer, no extra call
    expect(vi.getTimerCount()).toBe(1)
    expect(fn).toHaveBeenCalledTimes(1)

    state = 'hidden'
    document.dispatchEvent(new Event('visibilitychange'))
    expect(vi.getTimerCount()).toBe(0)
    stop()
    expect(vi.getTimerCount()).toBe(0)
  })
})

describe('formatCountdown', () => {
  it('counts down in the largest useful units', () => {
    const now = 1_000_000
    expect(formatCountdown(now + 45_000, now)).toBe('45s')
    expect(formatCountdown(now + 44_100, now)).toBe('45s') // rounds up: never "0s" while still resting
    expect(formatCountdown(now + 245_000, now)).toBe('4m 05s')
    expect(formatCountdown(now + 2 * 3600_000 + 180_000, now)).toBe('2h 03m')
    expect(formatCountdown(now + 28 * 3600_000, now)).toBe('1d 4h')
    expect(formatCountdown(now, now)).toBe('now')
    expect(formatCountdown(now - 5000, now)).toBe('now')
    expect(formatCountdown(NaN, now)).toBe('now')
  })
})
