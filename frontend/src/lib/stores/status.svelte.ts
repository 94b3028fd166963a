// Live gateway status: loaded once, then kept fresh by pushed "status" events
// (Wails runtime events or the /api/events EventSource), with a slow poll as a
// safety net (it also notices an expired session).

import { api } from '../api/client'
import { subscribeStatus, type LiveState, type SubscribeOptions } from '../api/transport'
import type { Status } from '../api/types'

export interface StatusDeps {
  getStatus: () => Promise<Status>
  subscribe: (cb: (s: Status) => void, opts: SubscribeOptions) => () => void
  now: () => number
  pollMs: number
}

const defaults: StatusDeps = {
  getStatus: api.getStatus,
  subscribe: subscribeStatus,
  now: () => Date.now(),
  pollMs: 15_000,
}

export class StatusStore {
  status = $state<Status | null>(null)
  /** local time (ms) the current status was received; uptime is extrapolated from it */
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

  /** Uptime in seconds at local time `now`, extrapolated from the last status. */
  uptimeAt(now: number): number {
    if (!this.status) return 0
    const extra = this.receivedAt ? Math.max(0, (now - this.receivedAt) / 1000) : 0
    return Math.floor(this.status.uptimeSec + extra)
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
    const timer = setInterval(() => this.refresh().catch(() => {}), this.deps.pollMs)
    return () => {
      clearInterval(timer)
      unsubscribe()
    }
  }
}

export const statusStore = new StatusStore()
