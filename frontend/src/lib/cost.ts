// Money, token and range helpers of the Analytics page, its Prices view and
// the Overview's today card, formatted in the active language.

import { formatDecimal } from './format'
import { currentLocale, m } from './i18n'

/** US dollars as the locale writes them: cents from $1, more digits below, "—" for unknown. */
export function formatUsd(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—'
  const a = Math.abs(v)
  if (a !== 0 && a < 0.0001) return '<' + usd(0.0001, 4)
  return usd(v, a === 0 || a >= 1 ? 2 : a >= 0.01 ? 3 : 4)
}

/** US dollars with exactly `digits` decimals, as the locale writes them. */
export function formatUsdDigits(v: number, digits: number): string {
  return usd(v, digits)
}

function usd(v: number, digits: number): string {
  return new Intl.NumberFormat(currentLocale(), {
    style: 'currency',
    currency: 'USD',
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(v)
}

/** Token counts: "950", "12.3k", "4.5M" (the locale's decimal mark; k/M/B everywhere, as token counts are written). */
export function formatTokens(n: number): string {
  if (!Number.isFinite(n)) return '—'
  const a = Math.abs(n)
  if (a < 1000) return String(Math.round(n))
  if (a < 1_000_000) return `${formatDecimal(n / 1000, a < 10_000 ? 1 : 0)}k`
  if (a < 1_000_000_000) return `${formatDecimal(n / 1_000_000, a < 10_000_000 ? 1 : 0)}M`
  return `${formatDecimal(n / 1_000_000_000, 1)}B`
}

/** A price per million tokens, up to 4 decimals ("1.25", "1,25"). */
export function formatPrice(v: number): string {
  return new Intl.NumberFormat(currentLocale(), { maximumFractionDigits: 4, useGrouping: false }).format(v)
}

export type RangePreset = '24h' | '7d' | '30d' | 'custom'

/** The range presets; label() reads the active language. */
export const presets: { id: RangePreset; label: () => string }[] = [
  { id: '24h', label: m.range_24h },
  { id: '7d', label: m.range_7d },
  { id: '30d', label: m.range_30d },
  { id: 'custom', label: m.range_custom },
]

const HOUR = 3_600_000
const DAY = 24 * HOUR

/** The range and bucket of a preset ending now: hourly for a day, daily beyond. */
export function presetRange(p: Exclude<RangePreset, 'custom'>, now: number): { from: number; to: number; bucket: 'hour' | 'day' } {
  const days = p === '24h' ? 1 : p === '7d' ? 7 : 30
  return { from: now - days * DAY, to: now, bucket: days === 1 ? 'hour' : 'day' }
}

/** A custom range from two local dates (YYYY-MM-DD, the end day included). */
export function customRange(fromDate: string, toDate: string): { from: number; to: number; bucket: 'hour' | 'day' } | null {
  const from = Date.parse(fromDate + 'T00:00')
  const to = Date.parse(toDate + 'T00:00') + DAY
  if (!Number.isFinite(from) || !Number.isFinite(to) || to <= from) return null
  return { from, to, bucket: to - from <= 3 * DAY ? 'hour' : 'day' }
}

/** Minutes east of UTC for the backend's day buckets. */
export function tzOffsetMin(at = new Date()): number {
  return -at.getTimezoneOffset()
}

/** Bytes as KiB/MiB/GiB for Settings. */
export function formatBytes(n: number): string {
  if (n < 1024 * 1024) return `${formatDecimal(n / 1024, 0)} KiB`
  if (n < 1024 * 1024 * 1024) return `${formatDecimal(n / 1024 / 1024, 1)} MiB`
  return `${formatDecimal(n / 1024 / 1024 / 1024, 2)} GiB`
}

/** A coding tool id as people name it. */
export function toolLabel(id: string): string {
  const names: Record<string, string> = {
    'claude-code': 'Claude Code',
    codex: 'Codex',
    'gemini-cli': 'Gemini CLI',
    opencode: 'OpenCode',
    'qwen-code': 'Qwen Code',
    'kimi-cli': 'Kimi CLI',
    'kilo-code': 'Kilo Code',
    'roo-code': 'Roo Code',
    cline: 'Cline',
    continue: 'Continue',
    aider: 'Aider',
    'factory-droid': 'Factory Droid',
    openclaw: 'OpenClaw',
    cursor: 'Cursor',
    copilot: 'GitHub Copilot',
    litellm: 'LiteLLM',
    'openai-sdk': 'OpenAI SDK',
    'anthropic-sdk': 'Anthropic SDK',
    'genai-sdk': 'Google GenAI SDK',
    'ai-sdk': 'Vercel AI SDK',
    curl: 'curl',
    python: 'Python HTTP',
    go: 'Go HTTP',
  }
  return id ? (names[id] ?? id) : m.tool_other_unknown()
}

/**
 * The series with every bucket of [from, to) present (missing ones as
 * zeros), day buckets starting at local midnight like the backend's.
 */
export function densify<P extends { t: number }>(series: P[], from: number, to: number, bucket: 'hour' | 'day', tzMin: number): P[] {
  const step = bucket === 'day' ? DAY : HOUR
  const off = bucket === 'day' ? tzMin * 60_000 : 0
  const start = Math.floor((from + off) / step) * step - off
  const byT = new Map(series.map((p) => [p.t, p]))
  const zero = series[0] ? (Object.fromEntries(Object.keys(series[0]).map((k) => [k, 0])) as P) : null
  if (!zero || (to - start) / step > 5000) return series
  const out: P[] = []
  for (let t = start; t < to; t += step) out.push(byT.get(t) ?? { ...zero, t })
  // buckets the grid missed (a DST change moves local midnight) keep their place
  for (const p of series) if (!out.includes(p)) out.push(p)
  return out.sort((a, b) => a.t - b.t)
}
