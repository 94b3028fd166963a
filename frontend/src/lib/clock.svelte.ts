// A ticking "now" for countdowns: it ticks only while the page is visible
// (lib/poller.ts: no timer at all while hidden) and, when given `active`,
// only while that says a countdown is on screen. Every tick repaints what
// shows the time, and a repaint is what an idle window must not pay for.

import { onMount } from 'svelte'
import { startPolling, type PollerDeps } from './poller'

export interface Clock {
  /** local time (ms), updated every tick */
  readonly now: number
}

/**
 * Call while a component initialises: the clock runs while it is mounted
 * (and `active()` is true, when given). It catches up at once when it starts.
 */
export function useClock(ms = 1000, deps: Partial<PollerDeps> = {}, active?: () => boolean): Clock {
  let now = $state(Date.now())
  let mounted = $state(false)
  onMount(() => {
    mounted = true
    return () => (mounted = false)
  })
  $effect(() => {
    if (!mounted || (active && !active())) return
    now = Date.now()
    return startPolling(() => (now = Date.now()), ms, deps)
  })
  return {
    get now() {
      return now
    },
  }
}
