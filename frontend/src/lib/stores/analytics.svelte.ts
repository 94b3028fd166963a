// The Analytics page's state: the range, breakdown and filters chosen, and
// the report for them (the latest request wins: a slow answer for an old
// range never replaces a newer one). New request log rows (the pushed
// status' request count moves) re-read the report after a short pause.

import { analyticsApi, type AnalyticsQuery, type Dimension, type Report } from '../api/analytics'
import { customRange, presetRange, tzOffsetMin, type RangePreset } from '../cost'
import { m } from '../i18n'

export type AnalyticsApi = Pick<typeof analyticsApi, 'getAnalytics'>

/** A failure as the user reads it. */
function message(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e)
  return msg.replace(/^(?:[a-z]+: )*invalid: /, '')
}

function isoDay(ms: number): string {
  const d = new Date(ms)
  const two = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`
}

export class AnalyticsStore {
  preset = $state<RangePreset>('24h')
  customFrom = $state(isoDay(Date.now() - 7 * 86_400_000))
  customTo = $state(isoDay(Date.now()))
  groupBy = $state<Dimension>('provider')
  filters = $state<Partial<Record<Dimension, string>>>({})
  report = $state<Report | null>(null)
  loading = $state(false)
  error = $state('')

  private seq = 0
  private api: AnalyticsApi
  private now: () => number

  constructor(deps: { api?: AnalyticsApi; now?: () => number } = {}) {
    this.api = deps.api ?? analyticsApi
    this.now = deps.now ?? (() => Date.now())
  }

  /** the query for the current choices, or an error text */
  query(): AnalyticsQuery | string {
    const r = this.preset === 'custom' ? customRange(this.customFrom, this.customTo) : presetRange(this.preset, this.now())
    if (!r) return m.an_err_range()
    const q: AnalyticsQuery = { ...r, tzOffsetMin: tzOffsetMin(), groupBy: this.groupBy }
    for (const [k, v] of Object.entries(this.filters)) if (v) q[k as Dimension] = v
    return q
  }

  async load(): Promise<void> {
    const q = this.query()
    if (typeof q === 'string') {
      this.error = q
      return
    }
    const mine = ++this.seq
    this.loading = true
    try {
      const rep = await this.api.getAnalytics(q)
      if (mine !== this.seq) return
      this.report = rep
      this.error = ''
    } catch (e) {
      if (mine === this.seq) this.error = message(e)
    } finally {
      if (mine === this.seq) this.loading = false
    }
  }

  /** narrow to one value of a dimension (a breakdown row was picked), or clear it */
  filter(d: Dimension, v: string | undefined): void {
    const f = { ...this.filters }
    if (v === undefined) delete f[d]
    else f[d] = v
    this.filters = f
  }
}
