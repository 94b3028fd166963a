/**
 * When something started, as the user reads a clock: "14:05" today,
 * "Dec 3, 14:05" on another day (local time, the user's locale).
 */
export function formatSince(startMs: number, nowMs: number): string {
  if (!Number.isFinite(startMs)) return '—'
  const start = new Date(startMs)
  const time = start.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
  if (start.toDateString() === new Date(nowMs).toDateString()) return time
  return `${start.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })}, ${time}`
}

export function formatNumber(n: number): string {
  return new Intl.NumberFormat().format(n)
}

/** "3 min ago"-style text for an RFC 3339 time; "" input → fallback. */
export function formatRelative(iso: string, now = Date.now(), fallback = 'never'): string {
  if (!iso) return fallback
  const t = Date.parse(iso)
  if (Number.isNaN(t)) return fallback
  const diff = Math.round((now - t) / 1000)
  if (diff < 45) return 'just now'
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' })
  const mins = Math.round(diff / 60)
  if (mins < 60) return rtf.format(-mins, 'minute')
  const hours = Math.round(mins / 60)
  if (hours < 24) return rtf.format(-hours, 'hour')
  const days = Math.round(hours / 24)
  if (days < 30) return rtf.format(-days, 'day')
  return new Date(t).toLocaleDateString()
}

export function formatDateTime(iso: string): string {
  const t = Date.parse(iso)
  return Number.isNaN(t) ? '' : new Date(t).toLocaleString()
}

/** Time of a unix-ms timestamp: "14:03:07" today, with the date otherwise. */
export function formatClock(ms: number, now = Date.now()): string {
  if (!ms) return ''
  const d = new Date(ms)
  const time = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false })
  if (d.toDateString() === new Date(now).toDateString()) return time
  return `${d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })} ${time}`
}

/** A duration in ms: "850 ms", "1.2 s", "—" when there is none. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || ms <= 0) return '—'
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`
  return `${Math.floor(ms / 60_000)}m ${Math.round((ms % 60_000) / 1000)}s`
}

/** Time left until `untilMs`: "45s", "4m 05s", "2h 03m", "1d 4h"; "now" once it has passed. */
export function formatCountdown(untilMs: number, now = Date.now()): string {
  const left = Math.ceil((untilMs - now) / 1000)
  if (!Number.isFinite(left) || left <= 0) return 'now'
  const d = Math.floor(left / 86400)
  const h = Math.floor((left % 86400) / 3600)
  const m = Math.floor((left % 3600) / 60)
  const s = left % 60
  const two = (n: number) => String(n).padStart(2, '0')
  if (d > 0) return `${d}d ${h}h`
  if (h > 0) return `${h}h ${two(m)}m`
  if (m > 0) return `${m}m ${two(s)}s`
  return `${s}s`
}
