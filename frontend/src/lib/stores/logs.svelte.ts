// The request log: filtered queries, manual and automatic refresh, expanded rows.

import { api, fullLogFilter, type Api } from '../api/client'
import type { LogFilter, LogRow, RouteStep } from '../api/types'

export type LogsApi = Pick<Api, 'listLogs'>

export const AUTO_REFRESH_MS = 3000
export const DEFAULT_LIMIT = 200

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

/**
 * The routing decisions of a row (its `route` JSON). [] when nothing was
 * recorded; null when the text is not the expected JSON.
 */
export function parseRoute(raw: string | null | undefined): RouteStep[] | null {
  if (!raw || !raw.trim()) return []
  let v: unknown
  try {
    v = JSON.parse(raw)
  } catch {
    return null
  }
  if (v === null) return []
  if (!Array.isArray(v)) return null
  return v
    .filter((s): s is Record<string, unknown> => !!s && typeof s === 'object')
    .map((s) => ({
      target: typeof s.target === 'string' ? s.target : '',
      result: typeof s.result === 'string' ? s.result : '',
      status: typeof s.status === 'number' && s.status ? s.status : undefined,
      error: typeof s.error === 'string' && s.error ? s.error : undefined,
    }))
}

/** "provider/account/model" → its parts (the account is "-" when there was none) */
export function splitTarget(target: string): { provider: string; account: string; model: string } {
  const [provider = '', account = '', ...rest] = target.split('/')
  if (rest.length === 0) return { provider, account: '', model: account }
  return { provider, account: account === '-' ? '' : account, model: rest.join('/') }
}

export type StatusTone = 'ok' | 'warn' | 'error' | 'none'

export function statusTone(status: number): StatusTone {
  if (!status) return 'none'
  if (status < 300) return 'ok'
  if (status === 499 || status === 429 || (status >= 400 && status < 500)) return 'warn'
  return 'error'
}

export function isErrorRow(r: LogRow): boolean {
  return r.status >= 400 || !!r.errorKind
}

export interface LogsDeps {
  client: LogsApi
  setInterval: (fn: () => void, ms: number) => unknown
  clearInterval: (t: unknown) => void
}

export class LogsStore {
  /** the filter the rows were (or are being) loaded with */
  filter = $state<LogFilter>(fullLogFilter({ limit: DEFAULT_LIMIT }))
  rows = $state<LogRow[]>([])
  loaded = $state(false)
  loading = $state(false)
  error = $state('')
  autoRefresh = $state(false)
  /** reqIds of the expanded rows */
  expanded = $state<string[]>([])
  /** local time of the last successful load */
  loadedAt = $state(0)

  private deps: LogsDeps
  private timer: unknown = null
  private seq = 0

  constructor(client: LogsApi = api, deps: Partial<Omit<LogsDeps, 'client'>> = {}) {
    this.deps = {
      client,
      setInterval: deps.setInterval ?? ((fn, ms) => setInterval(fn, ms)),
      clearInterval: deps.clearInterval ?? ((t) => clearInterval(t as ReturnType<typeof setInterval>)),
    }
  }

  /** Query with the current filter; an answer to an older query is dropped. */
  async load(): Promise<void> {
    const mine = ++this.seq
    this.loading = true
    try {
      const rows = await this.deps.client.listLogs({ ...this.filter })
      if (mine !== this.seq) return
      this.rows = rows
      this.error = ''
      this.loaded = true
      this.loadedAt = Date.now()
    } catch (e) {
      if (mine === this.seq) this.error = message(e)
    } finally {
      if (mine === this.seq) this.loading = false
    }
  }

  /** Apply a new filter and load. */
  async apply(f: Partial<LogFilter>): Promise<void> {
    this.filter = fullLogFilter({ limit: this.filter.limit || DEFAULT_LIMIT, ...f })
    await this.load()
  }

  async clearFilter(): Promise<void> {
    await this.apply({ provider: '', model: '', keyName: '', status: '', errorKind: '' })
  }

  /** Turn the periodic refresh on or off. */
  setAutoRefresh(on: boolean): void {
    this.autoRefresh = on
    if (this.timer !== null) {
      this.deps.clearInterval(this.timer)
      this.timer = null
    }
    if (on) {
      this.timer = this.deps.setInterval(() => {
        if (!this.loading) void this.load()
      }, AUTO_REFRESH_MS)
    }
  }

  /** Stop the timer (page closed); the toggle is remembered. */
  stop(): void {
    if (this.timer !== null) this.deps.clearInterval(this.timer)
    this.timer = null
  }

  /** Start the timer again if the toggle is on (page opened). */
  resume(): void {
    if (this.autoRefresh && this.timer === null) this.setAutoRefresh(true)
  }

  isExpanded(id: string): boolean {
    return this.expanded.includes(id)
  }

  toggle(id: string): void {
    this.expanded = this.isExpanded(id) ? this.expanded.filter((x) => x !== id) : [...this.expanded, id]
  }
}

export const logsStore = new LogsStore()
