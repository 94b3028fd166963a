// Periodic refresh of a page while it can be seen: the timer runs only while
// the page is mounted and the document is visible. When the document is hidden
// (minimised window, background tab) the timer is stopped, so nothing ticks at
// all; when it becomes visible again `fn` runs at once and the timer restarts.

export interface PollerDeps {
  setInterval: (fn: () => void, ms: number) => unknown
  clearInterval: (t: unknown) => void
  /** is the page visible now? */
  visible: () => boolean
  /** call `cb` whenever the page's visibility changes; returns the unsubscribe function */
  onVisibilityChange: (cb: () => void) => () => void
}

export const browserPollerDeps: PollerDeps = {
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (t) => clearInterval(t as ReturnType<typeof setInterval>),
  visible: () => typeof document === 'undefined' || document.visibilityState !== 'hidden',
  onVisibilityChange: (cb) => {
    if (typeof document === 'undefined') return () => {}
    document.addEventListener('visibilitychange', cb)
    return () => document.removeEventListener('visibilitychange', cb)
  },
}

/** Run `fn` every `ms` while visible (no timer while hidden). Returns the stop function. */
export function startPolling(fn: () => void, ms: number, deps: Partial<PollerDeps> = {}): () => void {
  const d = { ...browserPollerDeps, ...deps }
  let timer: unknown = undefined
  let running = false
  const arm = () => {
    if (running) return
    running = true
    timer = d.setInterval(() => {
      if (d.visible()) fn()
    }, ms)
  }
  const disarm = () => {
    if (!running) return
    running = false
    d.clearInterval(timer)
    timer = undefined
  }
  if (d.visible()) arm()
  const off = d.onVisibilityChange(() => {
    if (d.visible()) {
      if (!running) {
        fn() // catch up on what was missed while hidden
        arm()
      }
    } else {
      disarm()
    }
  })
  return () => {
    disarm()
    off()
  }
}
