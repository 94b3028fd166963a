// Periodic refresh of a page while it can be seen: the timer runs while the page
// is mounted, skips its ticks while the document is hidden (minimised window,
// background tab), and refreshes at once when the document becomes visible again.

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

/** Run `fn` every `ms` while visible. Returns the stop function. */
export function startPolling(fn: () => void, ms: number, deps: Partial<PollerDeps> = {}): () => void {
  const d = { ...browserPollerDeps, ...deps }
  const timer = d.setInterval(() => {
    if (d.visible()) fn()
  }, ms)
  const off = d.onVisibilityChange(() => {
    if (d.visible()) fn()
  })
  return () => {
    d.clearInterval(timer)
    off()
  }
}
