// Words for the states the Providers page shows: an account's routing state
// (the backend's codes) and whether a provider has proven to work, in the
// active language.

import type { AccountView, ProviderView } from './api/types'
import { formatClock } from './format'
import { m } from './i18n'

export type Tone = 'ok' | 'warn' | 'bad' | 'off' | 'idle'

const ACCOUNT_STATES: Record<string, { text: () => string; tone: Tone }> = {
  ok: { text: m.account_state_ok, tone: 'ok' },
  disabled: { text: m.account_state_disabled, tone: 'off' },
  rate_limited: { text: m.account_state_rate_limited, tone: 'warn' },
  quota_exhausted: { text: m.account_state_quota_exhausted, tone: 'warn' },
  auth_failed: { text: m.account_state_auth_failed, tone: 'bad' },
  upstream_error: { text: m.account_state_upstream_error, tone: 'warn' },
  breaker_open: { text: m.account_state_breaker_open, tone: 'bad' },
  model_not_supported: { text: m.account_state_model_not_supported, tone: 'warn' },
  needs_sign_in: { text: m.account_state_needs_sign_in, tone: 'bad' },
  saturated: { text: m.account_state_saturated, tone: 'warn' },
}

/** "rate_limited" (+ until) → "Rate limited: resting until 14:05" */
export function accountState(a: AccountView, now = Date.now()): { text: string; tone: Tone; code: string } {
  const code = a.disabled ? 'disabled' : a.state || 'ok'
  const known = ACCOUNT_STATES[code]
  const text = known?.text() ?? code.charAt(0).toUpperCase() + code.slice(1).replaceAll('_', ' ')
  const until = a.until ? Date.parse(a.until) : 0
  return {
    text: until > now ? m.account_state_until({ state: text, time: formatClock(until, now) }) : text,
    tone: known?.tone ?? 'warn',
    code,
  }
}

/** The provider's badge: disabled, not usable, or whether a test or request succeeded yet. */
export function providerState(p: ProviderView): { text: string; tone: Tone; title: string } {
  if (p.disabled) return { text: m.provider_state_disabled(), tone: 'off', title: m.provider_state_disabled_title() }
  if (!p.usable) return { text: m.provider_state_unusable(), tone: 'bad', title: p.unusable ?? '' }
  switch (p.check) {
    case 'ok':
      return { text: m.provider_state_ready(), tone: 'ok', title: m.provider_state_ready_title() }
    case 'failed':
      return { text: m.provider_state_failed(), tone: 'bad', title: p.checkError ?? '' }
  }
  return { text: m.provider_state_untested(), tone: 'idle', title: m.provider_state_untested_title() }
}
