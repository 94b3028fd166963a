// Cost and Analytics operations (Analytics page, its Prices view, Settings'
// request log section, the Overview's today card) over both transports.

import { m } from '../i18n'
import { call } from './transport'

export type Bucket = 'hour' | 'day'
export type Dimension = 'provider' | 'account' | 'model' | 'key' | 'tool' | 'combo'
const dimension = (id: Dimension, label: () => string) => ({
  id,
  get label() {
    return label()
  },
})

/** the breakdown dimensions; label reads the active language */
export const dimensions: { id: Dimension; readonly label: string }[] = [
  dimension('provider', m.dim_provider),
  dimension('account', m.dim_account),
  dimension('model', m.dim_model),
  dimension('key', m.dim_key),
  dimension('tool', m.dim_tool),
  dimension('combo', m.dim_combo),
]

export interface AnalyticsQuery {
  /** unix ms, inclusive (widened to the hour) */
  from: number
  /** unix ms, exclusive */
  to: number
  bucket?: Bucket
  /** minutes east of UTC: day buckets start at local midnight */
  tzOffsetMin?: number
  groupBy?: Dimension
  provider?: string
  account?: string
  model?: string
  key?: string
  tool?: string
  combo?: string
}

export interface Sums {
  requests: number
  errors: number
  fallbacks: number
  tokensIn: number
  tokensOut: number
  tokensCached: number
  tokensCacheWrite: number
  tokensReasoning: number
  costUsd: number
  /** requests with tokens and no known price: the cost is a lower bound */
  unpriced: number
  /** what subscription requests would have cost on the API */
  valueUsd: number
  valueUnknown: number
}
export interface Point extends Sums {
  t: number
}
export interface Group extends Sums {
  key: string
}
export interface Percentiles {
  provider: string
  model: string
  requests: number
  p50: number
  p95: number
  p99: number
  ttftCount: number
  ttftP50: number
  ttftP95: number
  ttftP99: number
}
export interface Report {
  from: number
  to: number
  bucket: Bucket
  groupBy: Dimension
  totals: Sums
  series: Point[]
  breakdown: Group[]
  latency: Percentiles[]
  topSpenders: Group[]
  /** the latency table keeps only the provider and model filters */
  latencyUnfiltered?: boolean
}

export type Billing = 'api' | 'subscription' | 'free'
export interface ModelPrice {
  provider: string
  model: string
  billing: Billing
  input: number
  output: number
  cacheRead: number
  cacheWrite: number
  reasoning: number
  known: boolean
  source: 'catalog' | 'override' | 'config'
  asOf?: string
  valuedAs?: string
  catalog?: { In: number; Out: number; Cached: number; CacheWrite: number; Reasoning: number }
  /** The catalog's price for prompts longer than `above` tokens (absent under an override). */
  longContext?: { above: number; input: number; output: number; cacheRead: number; cacheWrite: number }
}
export interface PriceOverride {
  provider: string
  model: string
  input: number
  output: number
  cacheRead: number
  cacheWrite: number
  reasoning: number
}

export interface Retention {
  days: number
  maxDbMib: number
}
export interface StorageView {
  retention: Retention
  fromConfig: boolean
  size: { fileBytes: number; usedBytes: number; rows: number; oldestTs: number; hourRows: number; oldestHour: number }
  lastPass: { at: number; error?: string; rolledUp: number; deletedOld: number; deletedCap: number; usedBytes: number; overCap: boolean }
}
export interface TodayTotals {
  since: number
  requests: number
  errors: number
  tokensIn: number
  tokensOut: number
  costUsd: number
  unpriced: number
  valueUsd: number
  valueUnknown: number
}

const list = <T>(v: T[] | null | undefined): T[] => (Array.isArray(v) ? v : [])

/** Query string of GET /api/analytics; empty fields are left out. */
export function analyticsQuery(q: AnalyticsQuery): string {
  const p = new URLSearchParams()
  const set = (k: string, v: string | number | undefined) => {
    if (v !== undefined && v !== '') p.set(k, String(v))
  }
  set('from', q.from)
  set('to', q.to)
  set('bucket', q.bucket)
  set('tz', q.tzOffsetMin)
  set('groupBy', q.groupBy)
  for (const d of ['provider', 'account', 'model', 'key', 'tool', 'combo'] as const) set(d, q[d])
  return '?' + p.toString()
}

function report(r: Report | null): Report {
  const o = (r ?? {}) as Report
  return { ...o, series: list(o.series), breakdown: list(o.breakdown), latency: list(o.latency), topSpenders: list(o.topSpenders) }
}

export const analyticsApi = {
  getAnalytics: async (q: AnalyticsQuery) =>
    report(await call<Report | null>({ bind: 'GetAnalytics', args: [q], method: 'GET', path: `/api/analytics${analyticsQuery(q)}` })),

  listPrices: async () => list(await call<ModelPrice[] | null>({ bind: 'ListPrices', method: 'GET', path: '/api/prices' })),

  setPrice: async (o: PriceOverride): Promise<void> => {
    await call<null>({ bind: 'SetPrice', args: [o], method: 'PUT', path: '/api/prices', body: o })
  },

  deletePrice: async (provider: string, model: string): Promise<void> => {
    const q = new URLSearchParams({ provider, model })
    await call<null>({ bind: 'DeletePrice', args: [provider, model], method: 'DELETE', path: `/api/prices?${q}` })
  },

  getStorage: () => call<StorageView>({ bind: 'GetStorage', method: 'GET', path: '/api/storage' }),

  saveRetention: (r: Retention) =>
    call<StorageView>({ bind: 'SaveRetention', args: [r], method: 'PUT', path: '/api/storage/retention', body: r }),

  todayUsage: () => call<TodayTotals>({ bind: 'GetTodayUsage', method: 'GET', path: '/api/usage/today' }),
}
