// Dates, times, numbers and durations as the active language writes them
// (src/lib/i18n): every Intl formatter gets currentLocale(), and a template
// that calls these re-renders when the language changes.

import { currentLocale, m } from './i18n'

/**
 * When something started, as the user reads a clock: "14:05" today,
 * "Dec 3, 14:05" on another day (local time, the active locale).
 */
export function formatSince(startMs: number, nowMs: number): string {
  if (!Number.isFinite(startMs)) return '—'
  const start = new Date(startMs)
  const loc = currentLocale()
  const time = start.toLocaleTimeString(loc, { hour: '2-digit', minute: '2-digit' })
  if (start.toDateString() === new Date(nowMs).toDateString()) return time
  return m.fmt_date_time({ date: start.toLocaleDateString(loc, { month: 'short', day: 'numeric' }), time })
}

export function formatNumber(n: number): string {
  return new Intl.NumberFormat(currentLocale()).format(n)
}

/** "3 min ago"-style text for an RFC 3339 time; "" input → fallback ("never"). */
export function formatRelative(iso: string, now = Date.now(), fallback?: string): string {
  if (!iso) return fallback ?? m.fmt_never()
  const t = Date.parse(iso)
  if (Number.isNaN(t)) return fallback ?? m.fmt_never()
  const diff = Math.round((now - t) / 1000)
  if (diff < 45) return m.fmt_just_now()
  const rtf = new Intl.RelativeTimeFormat(currentLocale(), { numeric: 'auto' })
  const mins = Math.round(diff / 60)
  if (mins < 60) return rtf.format(-mins, 'minute')
  const hours = Math.round(mins / 60)
  if (hours < 24) return rtf.format(-hours, 'hour')
  const days = Math.round(hours / 24)
  if (days < 30) return rtf.format(-days, 'day')
  return new Date(t).toLocaleDateString(currentLocale())
}

export function formatDateTime(iso: string): string {
  const t = Date.parse(iso)
  return Number.isNaN(t) ? '' : new Date(t).toLocaleString(currentLocale())
}

/** Time of a unix-ms timestamp: "14:03:07" today, with the date otherwise. */
export function formatClock(ms: number, now = Date.now()): string {
  if (!ms) return ''
  const d = new Date(ms)
  const loc = currentLocale()
  const time = d.toLocaleTimeString(loc, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false })
  if (d.toDateString() === new Date(now).toDateString()) return time
  return `${d.toLocaleDateString(loc, { month: 'short', day: 'numeric' })} ${time}`
}

/** A duration in ms: "850 ms", "1.2 s", "—" when there is none. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || ms <= 0) return '—'
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${formatDecimal(ms / 1000, ms < 10_000 ? 2 : 1)} s`
  return m.fmt_min_sec({ m: Math.floor(ms / 60_000), s: Math.round((ms % 60_000) / 1000) })
}

/** Time left until `untilMs`: "45s", "4m 05s", "2h 03m", "1d 4h" (per locale); "now" once it has passed. */
export function formatCountdown(untilMs: number, now = Date.now()): string {
  const left = Math.ceil((untilMs - now) / 1000)
  if (!Number.isFinite(left) || left <= 0) return m.fmt_now()
  const d = Math.floor(left / 86400)
  const h = Math.floor((left % 86400) / 3600)
  const min = Math.floor((left % 3600) / 60)
  const s = left % 60
  const two = (n: number) => String(n).padStart(2, '0')
  if (d > 0) return m.fmt_left_dh({ d, h })
  if (h > 0) return m.fmt_left_hm({ h, m: two(min) })
  if (min > 0) return m.fmt_left_ms({ m: min, s: two(s) })
  return m.fmt_left_s({ s })
}

/** A number with exactly `digits` decimals in the active locale ("1.25", "1,25"). */
export function formatDecimal(n: number, digits: number): string {
  return new Intl.NumberFormat(currentLocale(), { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(n)
}

/** A percentage of 0…100 in the active locale ("42%", "42 %"). */
export function formatPercent(pct: number, digits = 0): string {
  return new Intl.NumberFormat(currentLocale(), { style: 'percent', maximumFractionDigits: digits }).format(pct / 100)
}

/**
 * Time-axis tick labels in the active locale (uPlot's own are English):
 * times of day when the ticks are less than a day apart, else dates.
 * ticks are unix seconds, as uPlot passes them.
 */
export function formatTimeTicks(ticks: number[]): string[] {
  const loc = currentLocale()
  const step = ticks.length > 1 ? ticks[1] - ticks[0] : 86_400
  const opts: Intl.DateTimeFormatOptions = step < 86_400 ? { hour: '2-digit', minute: '2-digit' } : { month: 'short', day: 'numeric' }
  const f = new Intl.DateTimeFormat(loc, opts)
  return ticks.map((t) => f.format(new Date(t * 1000)))
}

/** The chart legend's time (unix seconds): date and time in the active locale. */
export function formatChartTime(sec: number | null): string {
  if (sec === null || !Number.isFinite(sec)) return '—'
  return new Date(sec * 1000).toLocaleString(currentLocale(), { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' })
}
