// Per-key policy on the API keys page: the form's draft (text inputs), its
// validation, the one-line summary and the usage bars against the budgets.

import type { ApiKey, KeyPolicy, KeySpend } from '../api/types'
import { formatUsdDigits } from '../cost'
import { formatNumber } from '../format'
import { m } from '../i18n'

export function emptyPolicy(): KeyPolicy {
  return { models: [], rpm: 0, tpm: 0, dailyUsd: 0, monthlyUsd: 0, dailyTokens: 0, monthlyTokens: 0, expiresAt: '', disabled: false }
}

/** the key's policy with every field present (older servers send none) */
export function policyOf(k: ApiKey): KeyPolicy {
  const p = { ...emptyPolicy(), ...(k.policy ?? {}) }
  return { ...p, models: Array.isArray(p.models) ? p.models : [] }
}

/** The form: every number as typed ("" = no limit), models one per line, expiry as a date. */
export interface PolicyDraft {
  models: string
  rpm: string
  tpm: string
  dailyUsd: string
  monthlyUsd: string
  dailyTokens: string
  monthlyTokens: string
  /** yyyy-mm-dd (local) or "" */
  expires: string
  disabled: boolean
}

const num = (v: number) => (v ? String(v) : '')

/** yyyy-mm-dd of an RFC 3339 time, local calendar */
function localDate(iso: string): string {
  const t = Date.parse(iso)
  if (!iso || Number.isNaN(t)) return ''
  const d = new Date(t)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`
}

export function draftFromPolicy(p: KeyPolicy): PolicyDraft {
  return {
    models: (p.models ?? []).join('\n'),
    rpm: num(p.rpm),
    tpm: num(p.tpm),
    dailyUsd: num(p.dailyUsd),
    monthlyUsd: num(p.monthlyUsd),
    dailyTokens: num(p.dailyTokens),
    monthlyTokens: num(p.monthlyTokens),
    expires: localDate(p.expiresAt),
    disabled: p.disabled,
  }
}

/**
 * The policy a draft describes, or the first problem in it. A date means the
 * start of that day in local time (the server reads yyyy-mm-dd the same way);
 * an unchanged date keeps the exact time it had.
 */
export function policyFromDraft(d: PolicyDraft, before?: KeyPolicy): { policy: KeyPolicy } | { error: string } {
  const models = d.models
    .split(/[\n,]/)
    .map((p) => p.trim())
    .filter(Boolean)
  if (models.some((p) => /\s/.test(p))) return { error: m.kp_err_spaces() }
  const whole = (label: string, v: string): number | string => {
    if (!v.trim()) return 0
    const n = Number(v)
    return Number.isInteger(n) && n >= 0 ? n : m.kp_err_whole({ label })
  }
  const money = (label: string, v: string): number | string => {
    if (!v.trim()) return 0
    const n = Number(v)
    return Number.isFinite(n) && n >= 0 ? n : m.kp_err_money({ label })
  }
  const fields = {
    rpm: whole(m.kp_rpm(), d.rpm),
    tpm: whole(m.kp_tpm(), d.tpm),
    dailyUsd: money(m.kp_daily_budget(), d.dailyUsd),
    monthlyUsd: money(m.kp_monthly_budget(), d.monthlyUsd),
    dailyTokens: whole(m.kp_daily_tokens(), d.dailyTokens),
    monthlyTokens: whole(m.kp_monthly_tokens(), d.monthlyTokens),
  }
  for (const v of Object.values(fields)) if (typeof v === 'string') return { error: v }
  let expiresAt = ''
  if (d.expires) {
    if (before?.expiresAt && localDate(before.expiresAt) === d.expires) expiresAt = before.expiresAt
    else {
      const t = new Date(`${d.expires}T00:00:00`)
      if (Number.isNaN(t.getTime())) return { error: m.kp_err_expiry() }
      expiresAt = t.toISOString().replace(/\.\d{3}Z$/, 'Z')
    }
  }
  const n = fields as Record<keyof typeof fields, number>
  return { policy: { models, ...n, expiresAt, disabled: d.disabled } }
}

const usd = (v: number) => formatUsdDigits(v, 2)
const count = (v: number) => formatNumber(v)

/** One line: "models a/*, b · 60 rpm · $5.00/day" or "No limits". */
export function policySummary(p: KeyPolicy): string {
  const parts: string[] = []
  if (p.models?.length) parts.push(m.kp_s_models({ list: p.models.join(', ') }))
  if (p.rpm) parts.push(m.kp_s_rpm({ n: count(p.rpm) }))
  if (p.tpm) parts.push(m.kp_s_tpm({ n: count(p.tpm) }))
  if (p.dailyUsd) parts.push(m.kp_s_per_day({ amount: usd(p.dailyUsd) }))
  if (p.monthlyUsd) parts.push(m.kp_s_per_month({ amount: usd(p.monthlyUsd) }))
  if (p.dailyTokens) parts.push(m.kp_s_tokens_day({ n: count(p.dailyTokens) }))
  if (p.monthlyTokens) parts.push(m.kp_s_tokens_month({ n: count(p.monthlyTokens) }))
  return parts.length ? parts.join(' · ') : m.kp_no_limits()
}

/** the key's state: disabled, expired (at now) or active */
export function keyState(p: KeyPolicy, now = Date.now()): 'disabled' | 'expired' | 'active' {
  if (p.disabled) return 'disabled'
  if (p.expiresAt && Date.parse(p.expiresAt) <= now) return 'expired'
  return 'active'
}

export interface BudgetBar {
  label: string
  /** "$4.20 of $5.00" */
  text: string
  percent: number
  tone: 'ok' | 'warn' | 'over'
}

const zero: KeySpend = { usd: 0, tokens: 0, requests: 0, unpriced: 0, resetAt: '' }

/** A bar per budget the key has, today's first. */
export function budgetBars(k: ApiKey): BudgetBar[] {
  const p = policyOf(k)
  const today = k.usage?.today ?? zero
  const month = k.usage?.month ?? zero
  const out: BudgetBar[] = []
  const add = (label: string, used: number, limit: number, fmt: (v: number) => string, lowerBound: boolean) => {
    if (!limit) return
    const percent = Math.floor((100 * used) / limit)
    out.push({
      label,
      text: m.kp_of({ used: `${fmt(used)}${lowerBound ? '+' : ''}`, limit: fmt(limit) }),
      percent,
      tone: percent >= 100 ? 'over' : percent >= 80 ? 'warn' : 'ok',
    })
  }
  add(m.kp_today(), today.usd, p.dailyUsd, usd, today.unpriced > 0)
  add(m.kp_today_tokens(), today.tokens, p.dailyTokens, count, false)
  add(m.kp_this_month(), month.usd, p.monthlyUsd, usd, month.unpriced > 0)
  add(m.kp_this_month_tokens(), month.tokens, p.monthlyTokens, count, false)
  return out
}

/** "12 requests · 3,400 tokens · $0.05" of a period */
export function spendLine(s: KeySpend | undefined): string {
  const v = s ?? zero
  return m.kp_spend_line({ count: v.requests, tokens: count(v.tokens), cost: `${usd(v.usd)}${v.unpriced ? '+' : ''}` })
}
