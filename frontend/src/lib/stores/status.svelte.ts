// Live gateway status: loaded once, then kept fresh by pushed "status" events
// (Wails runtime events or the /api/events EventSource), with a slow poll as a
// safety net (it also notices an expired session) that runs only while the
// page can be seen (lib/poller.ts): a window hidden in the tray does nothing.

import { api } from '../api/client'
import { subscribeStatus, type LiveState, type SubscribeOptions } from '../api/transport'
import type { Status } from '../api/types'
import { startPolling, type PollerDeps } from '../poller'

export interface StatusDeps {
  getStatus: () => Promise<Status>
  subscribe: (cb: (s: Status) => void, opts: SubscribeOptions) => () => void
  now: () => number
  pollMs: number
  /** timers and page visibility (tests replace them) */
  poller?: Partial<PollerDeps>
}

const defaults: StatusDeps = {
  getStatus: api.getStatus,
  subscribe: subscribeStatus,
  now: () => Date.now(),
  pollMs: 15_000,
}

export class StatusStore {
  status = $state<Status | null>(null)
  /** local time (ms) the current status was received */
  receivedAt = $state(0)
  live = $state<LiveState>('connecting')
  error = $state('')

  private deps: StatusDeps

  constructor(deps: Partial<StatusDeps> = {}) {
    this.deps = { ...defaults, ...deps }
  }

  set(s: Status): void {
    this.status = s
    this.receivedAt = this.deps.now()
    this.error = ''
  }

  /** Fetch the status now. Rejects (ApiError) on failure, after recording the error. */
  async refresh(): Promise<Status> {
    try {
      const s = await this.deps.getStatus()
      this.set(s)
      return s
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e)
      throw e
    }
  }

  /** Subscribe to pushed updates and poll slowly. Returns the stop function. */
  start(): () => void {
    const unsubscribe = this.deps.subscribe((s) => this.set(s), {
      onState: (st) => {
        this.live = st
        // the push channel dropped: find out why (server gone? session expired → 401)
        if (st === 'down') this.refresh().catch(() => {})
      },
    })
    const stopPolling = startPolling(() => this.refresh().catch(() => {}), this.deps.pollMs, this.deps.poller)
    return () => {
      stopPolling()
      unsubscribe()
    }
  }
}

export const statusStore = new StatusStore()
