// Words for the states the Providers page shows: an account's routing state
// (the backend's codes) and whether a provider has proven to work.

import type { AccountView, ProviderView } from './api/types'
import { formatClock } from './format'

/** the checkbox that lets a provider reach loopback and private-network addresses (the backend's errors name it) */
export const AllowLocalLabel = 'Allow local network addresses'

export type Tone = 'ok' | 'warn' | 'bad' | 'off' | 'idle'

const ACCOUNT_STATES: Record<string, { text: string; tone: Tone }> = {
  ok: { text: 'Ready', tone: 'ok' },
  disabled: { text: 'Disabled', tone: 'off' },
  rate_limited: { text: 'Rate limited: resting', tone: 'warn' },
  quota_exhausted: { text: 'Out of quota', tone: 'warn' },
  auth_failed: { text: 'Key refused by the provider', tone: 'bad' },
  upstream_error: { text: 'Resting after upstream errors', tone: 'warn' },
  breaker_open: { text: 'Paused: the provider keeps failing', tone: 'bad' },
  model_not_supported: { text: 'A model is not served here', tone: 'warn' },
  needs_sign_in: { text: 'Needs you to sign in again', tone: 'bad' },
  saturated: { text: 'At its concurrency limit', tone: 'warn' },
}

/** "rate_limited" (+ until) → "Rate limited: resting until 14:05" */
export function accountState(a: AccountView, now = Date.now()): { text: string; tone: Tone; code: string } {
  const code = a.disabled ? 'disabled' : a.state || 'ok'
  const known = ACCOUNT_STATES[code]
  const text = known?.text ?? code.charAt(0).toUpperCase() + code.slice(1).replaceAll('_', ' ')
  const until = a.until ? Date.parse(a.until) : 0
  return { text: until > now ? `${text} until ${formatClock(until, now)}` : text, tone: known?.tone ?? 'warn', code }
}

/** The provider's badge: disabled, not usable, or whether a test or request succeeded yet. */
export function providerState(p: ProviderView): { text: string; tone: Tone; title: string } {
  if (p.disabled) return { text: 'Disabled', tone: 'off', title: 'Requests do not go to this provider' }
  if (!p.usable) return { text: 'Not usable', tone: 'bad', title: p.unusable ?? '' }
  switch (p.check) {
    case 'ok':
      return { text: 'Ready', tone: 'ok', title: 'A test or a request succeeded' }
    case 'failed':
      return { text: 'Last test failed', tone: 'bad', title: p.checkError ?? '' }
  }
  return { text: 'Untested', tone: 'idle', title: 'No test or request has succeeded yet: press Test' }
}
