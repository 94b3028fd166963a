// The request log: filtered queries kept in the URL, keyset paging, manual
// and automatic refresh, expanded rows with their detail, picker values.

import { api, filterFromQuery, fullLogFilter, logsQuery, type Api } from '../api/client'
import type { LogFacets, LogFilter, LogRow, RouteStep } from '../api/types'
import { formatMs } from '../format'
import { m } from '../i18n'

export type LogsApi = Pick<Api, 'listLogs'> & Partial<Pick<Api, 'getLogDetail' | 'getLogFacets'>>

/** time range presets of the filter bar ('' any time; custom: since/before as given) */
export type TimeRange = '' | '1h' | '24h' | '7d' | '30d' | 'custom'

export const RANGE_MS: Record<Exclude<TimeRange, '' | 'custom'>, number> = {
  '1h': 3600_000,
  '24h': 24 * 3600_000,
  '7d': 7 * 24 * 3600_000,
  '30d': 30 * 24 * 3600_000,
}

const emptyFacets: LogFacets = { providers: [], models: [], keys: [], accounts: [], errorKinds: [], dialects: [] }

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
      atMs: typeof s.atMs === 'number' ? s.atMs : undefined,
      ms: typeof s.ms === 'number' ? s.ms : undefined,
      detail: typeof s.detail === 'string' && s.detail ? s.detail : undefined,
      until: typeof s.until === 'string' && s.until ? s.until : undefined,
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
  /** the filter the rows were (or are being) loaded with (without a cursor) */
  filter = $state<LogFilter>(fullLogFilter({ limit: DEFAULT_LIMIT }))
  /** the time range preset; since/before of the filter follow it at each load */
  range = $state<TimeRange>('')
  rows = $state<LogRow[]>([])
  loaded = $state(false)
  loading = $state(false)
  loadingMore = $state(false)
  /** the last page was full: older rows may follow */
  hasMore = $state(false)
  error = $state('')
  autoRefresh = $state(false)
  /** reqIds of the expanded rows */
  expanded = $state<string[]>([])
  /** local time of the last successful load */
  loadedAt = $state(0)
  facets = $state<LogFacets>(emptyFacets)
  /** full rows (bodies, headers) by id, fetched when a row opens */
  details = $state<Record<number, LogRow>>({})
  detailErrors = $state<Record<number, string>>({})

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

  /** the filter of a query, with a preset range turned into since (now) */
  private query(extra: Partial<LogFilter> = {}): LogFilter {
    const f = { ...this.filter, ...extra }
    if (this.range && this.range !== 'custom') {
      f.since = Date.now() - RANGE_MS[this.range]
      f.before = 0
    }
    return f
  }

  /** Query the newest page with the current filter; an answer to an older query is dropped. */
  async load(): Promise<void> {
    const mine = ++this.seq
    this.loading = true
    try {
      const rows = await this.deps.client.listLogs(this.query())
      if (mine !== this.seq) return
      this.rows = rows
      this.hasMore = !!this.filter.limit && rows.length >= this.filter.limit
      this.error = ''
      this.loaded = true
      this.loadedAt = Date.now()
    } catch (e) {
      if (mine === this.seq) this.error = message(e)
    } finally {
      if (mine === this.seq) this.loading = false
    }
  }

  /** Append the page older than the last row (keyset cursor: no row twice, none skipped). */
  async loadMore(): Promise<void> {
    const last = this.rows.at(-1)
    if (!last?.id || this.loadingMore) return
    const mine = this.seq
    this.loadingMore = true
    try {
      const rows = await this.deps.client.listLogs(this.query({ cursorTs: last.ts, cursorId: last.id }))
      if (mine !== this.seq) return
      const seen = new Set(this.rows.map((r) => r.reqId))
      this.rows = [...this.rows, ...rows.filter((r) => !seen.has(r.reqId))]
      this.hasMore = !!this.filter.limit && rows.length >= this.filter.limit
    } catch (e) {
      this.error = message(e)
    } finally {
      this.loadingMore = false
    }
  }

  /** Apply a new filter (and range) and load the newest page. */
  async apply(f: Partial<LogFilter>, range: TimeRange = this.range): Promise<void> {
    this.filter = fullLogFilter({ limit: this.filter.limit || DEFAULT_LIMIT, ...f, cursorTs: 0, cursorId: 0 })
    this.range = range
    await this.load()
  }

  async clearFilter(): Promise<void> {
    await this.apply(
      { provider: '', model: '', keyName: '', account: '', dialect: '', status: '', errorKind: '', stream: '', q: '', since: 0, before: 0 },
      '',
    )
  }

  /** The page's URL query for the filter ("" when nothing is filtered). */
  urlQuery(): string {
    const q = new URLSearchParams(logsQuery({ ...this.filter, limit: 0, ...(this.range && this.range !== 'custom' ? { since: 0, before: 0 } : {}) }))
    if (this.range) q.set('range', this.range)
    const s = q.toString()
    return s ? `?${s}` : ''
  }

  /** Take the filter from a URL query (the page opened from a link). */
  fromUrlQuery(query: string): void {
    const f = filterFromQuery(query)
    const r = new URLSearchParams(query.replace(/^\?/, '')).get('range') ?? ''
    this.range = (['1h', '24h', '7d', '30d', 'custom'].includes(r) ? r : f.since || f.before ? 'custom' : '') as TimeRange
    this.filter = fullLogFilter({ limit: DEFAULT_LIMIT, ...f, cursorTs: 0, cursorId: 0 })
  }

  /** Load the pickers' values (once per page visit; failures leave them empty). */
  async loadFacets(): Promise<void> {
    if (!this.deps.client.getLogFacets) return
    try {
      this.facets = await this.deps.client.getLogFacets()
    } catch {
      this.facets = emptyFacets
    }
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
        if (!this.loading && !this.loadingMore) void this.load()
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
    const opening = !this.isExpanded(id)
    this.expanded = opening ? [...this.expanded, id] : this.expanded.filter((x) => x !== id)
    const row = this.rows.find((r) => r.reqId === id)
    if (opening && row?.id && row.hasBody) void this.loadDetail(row.id)
  }

  /** Fetch a row's bodies and headers (once). */
  async loadDetail(id: number): Promise<void> {
    if (this.details[id] || !this.deps.client.getLogDetail) return
    try {
      const d = await this.deps.client.getLogDetail(id)
      this.details = { ...this.details, [id]: d }
    } catch (e) {
      this.detailErrors = { ...this.detailErrors, [id]: message(e) }
    }
  }
}

export const logsStore = new LogsStore()

/** "+120 ms · took 2.3 s" of a routing step (what is known) */
export function stepTiming(s: RouteStep): string {
  const parts: string[] = []
  if (s.atMs !== undefined) parts.push(m.ld_step_at({ ms: fmtMs(s.atMs) }))
  if (s.ms !== undefined) parts.push(m.ld_step_took({ ms: fmtMs(s.ms) }))
  return parts.join(' · ')
}

function fmtMs(ms: number): string {
  return ms <= 0 ? '0 ms' : formatMs(ms)
}

/**
 * What happened to a request the client left (499 / canceled): when it
 * left, whether an answer had started, what had reached it. null for
 * other rows.
 */
export function cancelStory(r: LogRow): string | null {
  if (r.status !== 499 && r.errorKind !== 'canceled') return null
  const at = fmtMs(r.latencyMs)
  let s: string = m.ld_cancel_arrived({ at })
  if (r.ttftMs > 0) {
    s += m.ld_cancel_after_first({ after: fmtMs(Math.max(r.latencyMs - r.ttftMs, 0)), ttft: fmtMs(r.ttftMs) })
    s += r.stream ? m.ld_cancel_streaming() : m.ld_cancel_incomplete()
  } else {
    s += m.ld_cancel_none()
  }
  if (r.provider) s += m.ld_cancel_call({ target: `${r.provider}/${r.upstreamModel || '?'}` })
  if (r.tokensOut > 0) s += m.ld_cancel_tokens({ n: r.tokensOut })
  else if (r.ttftMs > 0) s += m.ld_cancel_no_counts()
  return s
}

/** The logged headers as [name, value] lists (null when unreadable). */
export function parseHeaders(raw: string | undefined): { request: [string, string][]; response: [string, string][] } | null {
  if (!raw) return null
  try {
    const v = JSON.parse(raw) as { request?: Record<string, string>; response?: Record<string, string> }
    const entries = (o?: Record<string, string>) => Object.entries(o ?? {}).sort(([a], [b]) => a.localeCompare(b))
    return { request: entries(v.request), response: entries(v.response) }
  } catch {
    return null
  }
}
