import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Status } from '../api/types'
import { StatusStore } from './status.svelte'

const status = (requests: number) => ({ requests, uptimeSec: 5, endpoint: 'http://127.0.0.1:1', listen: '127.0.0.1:1' }) as unknown as Status

describe('StatusStore', () => {
  afterEach(() => vi.restoreAllMocks())

  it('takes pushed statuses and polls only while the page can be seen', async () => {
    vi.useFakeTimers()
    let state: DocumentVisibilityState = 'visible'
    vi.spyOn(document, 'visibilityState', 'get').mockImplementation(() => state)
    let push: (s: Status) => void = () => {}
    const getStatus = vi.fn(async () => status(1))
    const store = new StatusStore({
      getStatus,
      subscribe: (cb) => {
        push = cb
        return () => {}
      },
      pollMs: 1000,
    })
    const stop = store.start()
    push(status(7))
    expect(store.status?.requests).toBe(7)

    vi.advanceTimersByTime(2000)
    expect(getStatus).toHaveBeenCalledTimes(2)

    state = 'hidden' // closed to the tray: no timer at all
    document.dispatchEvent(new Event('visibilitychange'))
    expect(vi.getTimerCount()).toBe(0)
    vi.advanceTimersByTime(10_000)
    expect(getStatus).toHaveBeenCalledTimes(2)

    state = 'visible' // shown again: catches up at once
    document.dispatchEvent(new Event('visibilitychange'))
    expect(getStatus).toHaveBeenCalledTimes(3)
    stop()
    expect(vi.getTimerCount()).toBe(0)
    vi.useRealTimers()
  })
})
