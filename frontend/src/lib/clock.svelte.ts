// A ticking "now" for countdowns and "updated … ago": it ticks while the page
// is visible only (lib/poller.ts: no timer at all while hidden) and catches up
// at once when the page shows again.

import { onMount } from 'svelte'
import { startPolling, type PollerDeps } from './poller'

export interface Clock {
  /** local time (ms), updated every tick */
  readonly now: number
}

/** Call while a component initialises: the clock runs while it is mounted. */
export function useClock(ms = 1000, deps: Partial<PollerDeps> = {}): Clock {
  let now = $state(Date.now())
  onMount(() => startPolling(() => (now = Date.now()), ms, deps))
  return {
    get now() {
      return now
    },
  }
}
