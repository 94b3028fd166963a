export function formatUptime(totalSec: number): string {
  const s = Math.max(0, Math.floor(totalSec))
  const d = Math.floor(s / 86400)
  const h = Math.floor((s % 86400) / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = s % 60
  if (d > 0) return `${d}d ${h}h ${m}m`
  if (h > 0) return `${h}h ${m}m ${sec}s`
  if (m > 0) return `${m}m ${sec}s`
  return `${sec}s`
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
