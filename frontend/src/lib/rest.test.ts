import { afterEach, describe, expect, it, vi } from 'vitest'
import { hiddenEvent, reportHidden } from './rest'

describe('reportHidden', () => {
  afterEach(() => {
    vi.restoreAllMocks()
    delete (window as unknown as { runtime?: unknown }).runtime
  })

  it('tells the desktop app each time the window turns hidden, and only then', () => {
    const emit = vi.fn()
    ;(window as unknown as { runtime: unknown }).runtime = { EventsEmit: emit }
    let state: DocumentVisibilityState = 'visible'
    vi.spyOn(document, 'visibilityState', 'get').mockImplementation(() => state)
    const stop = reportHidden()
    document.dispatchEvent(new Event('visibilitychange'))
    expect(emit).not.toHaveBeenCalled()
    state = 'hidden'
    document.dispatchEvent(new Event('visibilitychange'))
    expect(emit).toHaveBeenCalledTimes(1)
    expect(emit).toHaveBeenCalledWith(hiddenEvent)
    stop()
    document.dispatchEvent(new Event('visibilitychange'))
    expect(emit).toHaveBeenCalledTimes(1)
  })

  it('sends nothing without the Wails runtime (the browser dashboard)', () => {
    vi.spyOn(document, 'visibilityState', 'get').mockImplementation(() => 'hidden')
    const stop = reportHidden()
    expect(() => document.dispatchEvent(new Event('visibilitychange'))).not.toThrow()
    stop()
  })
})
