import { afterEach, describe, expect, it, vi } from 'vitest'
import { hiddenEvent, reportVisibility, shownEvent } from './rest'

describe('reportVisibility', () => {
  afterEach(() => {
    vi.restoreAllMocks()
    delete (window as unknown as { runtime?: unknown }).runtime
  })

  it('tells the desktop app each time the window turns hidden or visible', () => {
    const emit = vi.fn()
    ;(window as unknown as { runtime: unknown }).runtime = { EventsEmit: emit }
    let state: DocumentVisibilityState = 'visible'
    vi.spyOn(document, 'visibilityState', 'get').mockImplementation(() => state)
    const stop = reportVisibility()
    expect(emit).not.toHaveBeenCalled()
    state = 'hidden'
    document.dispatchEvent(new Event('visibilitychange'))
    expect(emit).toHaveBeenLastCalledWith(hiddenEvent)
    state = 'visible'
    document.dispatchEvent(new Event('visibilitychange'))
    expect(emit).toHaveBeenLastCalledWith(shownEvent)
    expect(emit).toHaveBeenCalledTimes(2)
    stop()
    document.dispatchEvent(new Event('visibilitychange'))
    expect(emit).toHaveBeenCalledTimes(2)
  })

  it('sends nothing without the Wails runtime (the browser dashboard)', () => {
    vi.spyOn(document, 'visibilityState', 'get').mockImplementation(() => 'hidden')
    const stop = reportVisibility()
    expect(() => document.dispatchEvent(new Event('visibilitychange'))).not.toThrow()
    stop()
  })
})
