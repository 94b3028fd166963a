// Routing health: providers' circuit breakers, resting (cooling) accounts and the
// recent routing events, refreshed while the page is visible; cooldowns can be
// cleared per account or all at once.

import { api, type Api } from '../api/client'
import type { BreakerState, BreakerView, Cooldown, RoutingEvent, UnusableProvider } from '../api/types'
import { formatClock, formatPercent } from '../format'
import { m } from '../i18n'
import { startPolling, type PollerDeps } from '../poller'

export type HealthApi = Pick<Api, 'getHealth' | 'resetHealth' | 'listEvents' | 'addAccount'>

/** how often the page refreshes while visible */
export const HEALTH_REFRESH_MS = 2000
/** how many recent events are shown */
export const EVENTS_LIMIT = 50

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

const BREAKERS: Record<BreakerState, () => string> = {
  closed: m.health_breaker_closed,
  open: m.health_breaker_open,
  half_open: m.health_breaker_half_open,
}

/** "half_open" → "Half-open" (in the active language; unknown states as they are). */
export function breakerLabel(state: string): string {
  return BREAKERS[state as BreakerState]?.() ?? state
}

const REASONS: Record<string, () => string> = {
  rate_limited: m.health_reason_rate_limited,
  quota_exhausted: m.health_reason_quota_exhausted,
  auth_failed: m.health_reason_auth_failed,
  upstream_error: m.health_reason_upstream_error,
  model_not_supported: m.health_reason_model_not_supported,
  breaker_open: m.health_reason_breaker_open,
  saturated: m.health_reason_saturated,
  disabled: m.health_reason_disabled,
  only_when_exhausted: m.health_reason_only_when_exhausted,
}

/** "rate_limited" → "Rate limited" (unknown reasons are shown readable). */
export function reasonLabel(reason: string): string {
  return REASONS[reason]?.() ?? (reason ? reason.charAt(0).toUpperCase() + reason.slice(1).replaceAll('_', ' ') : '')
}

/** a cooldown's key for lists and the reset buttons */
export function cooldownKey(c: Cooldown): string {
  return `${c.accountId}|${c.model}`
}

/** "provider/account" (or the provider alone when there is no account) */
function who(provider: string, account: string): string {
  return account ? `${provider}/${account}` : provider
}

/** One line of human text for a routing event. */
export function describeEvent(e: RoutingEvent, now = Date.now()): string {
  const until = e.until > 0 ? m.health_event_until({ time: formatClock(e.until, now) }) : ''
  const model = e.model && e.model !== '*' ? m.health_event_for_model({ model: e.model }) : ''
  switch (e.kind) {
    case 'provider_tripped':
      return m.health_event_tripped({ provider: e.provider, until })
    case 'provider_recovered':
      return m.health_event_recovered({ provider: e.provider })
    case 'account_quota_exhausted':
      return m.health_event_quota({ who: who(e.provider, e.account), until })
    case 'account_cooling_down':
      return m.health_event_cooling({ who: who(e.provider, e.account), model, until })
    case 'account_auth_failed':
      return m.health_event_auth({ who: who(e.provider, e.account), until })
    case 'combo_unavailable':
      return m.health_event_combo({ combo: e.provider })
    case 'key_budget':
      return m.health_event_key_budget({
        key: e.account,
        pct: formatPercent(80),
        resets: e.until > 0 ? m.health_event_key_resets({ time: formatClock(e.until, now) }) : '',
      })
    default:
      return `${who(e.provider, e.account)}: ${String(e.kind).replaceAll('_', ' ')}${until}`
  }
}

export type EventTone = 'ok' | 'warn' | 'error'

export function eventTone(kind: string): EventTone {
  if (kind === 'provider_recovered') return 'ok'
  if (kind === 'account_cooling_down' || kind === 'key_budget') return 'warn'
  return 'error'
}

export interface HealthDeps {
  client: HealthApi
  poller: Partial<PollerDeps>
}

export class HealthStore {
  breakers = $state<BreakerView[]>([])
  cooldowns = $state<Cooldown[]>([])
  events = $state<RoutingEvent[]>([])
  loaded = $state(false)
  loading = $state(false)
  /** failure to load */
  error = $state('')
  /** providers no request can reach (no usable account, disabled) */
  unusable = $state<UnusableProvider[]>([])
  /** the provider whose one-click fix is running */
  fixing = $state<string | null>(null)
  fixError = $state('')
  /** cooldownKey of the row being reset, or "*" for "reset all" */
  resetting = $state<string | null>(null)
  resetError = $state('')
  /** how many entries the last reset cleared (null before any) */
  lastCleared = $state<number | null>(null)

  private client: HealthApi
  private pollerDeps: Partial<PollerDeps>
  private seq = 0

  constructor(client: HealthApi = api, deps: Partial<Omit<HealthDeps, 'client'>> = {}) {
    this.client = client
    this.pollerDeps = deps.poller ?? {}
  }

  /** breakers sorted: open first, then half-open, then by provider */
  get sortedBreakers(): BreakerView[] {
    const rank: Record<string, number> = { open: 0, half_open: 1, closed: 2 }
    return [...this.breakers].sort((a, b) => (rank[a.state] ?? 3) - (rank[b.state] ?? 3) || a.provider.localeCompare(b.provider))
  }

  /** cooldowns soonest-ending first */
  get sortedCooldowns(): Cooldown[] {
    return [...this.cooldowns].sort((a, b) => Date.parse(a.until) - Date.parse(b.until) || cooldownKey(a).localeCompare(cooldownKey(b)))
  }

  /** Load breakers, cooldowns and recent events; an answer to an older load is dropped. */
  async load(): Promise<void> {
    const mine = ++this.seq
    this.loading = true
    try {
      const [health, events] = await Promise.all([this.client.getHealth(), this.client.listEvents(EVENTS_LIMIT)])
      if (mine !== this.seq) return
      this.breakers = health.breakers
      this.cooldowns = health.cooldowns
      this.unusable = health.unusable ?? []
      this.events = events
      this.error = ''
      this.loaded = true
    } catch (e) {
      if (mine === this.seq) this.error = message(e)
    } finally {
      if (mine === this.seq) this.loading = false
    }
  }

  /** Refresh every HEALTH_REFRESH_MS while the page is visible. Returns the stop function. */
  startPolling(): () => void {
    return startPolling(
      () => {
        if (!this.loading) void this.load()
      },
      HEALTH_REFRESH_MS,
      this.pollerDeps,
    )
  }

  /** Clear one account's cooldowns (the row's account; all its models). */
  async reset(c: Cooldown): Promise<boolean> {
    return this.run(cooldownKey(c), () => this.client.resetHealth(c.provider, c.accountId))
  }

  /** The one-click fix of a provider without an account: a keyless account (it sends no key). */
  async addKeyless(u: UnusableProvider): Promise<boolean> {
    this.fixing = u.provider
    this.fixError = ''
    try {
      await this.client.addAccount(u.provider, { name: 'keyless', apiKey: '', priority: 0, maxConcurrent: 0, rpm: 0 })
      await this.load()
      return true
    } catch (e) {
      this.fixError = message(e)
      return false
    } finally {
      this.fixing = null
    }
  }

  /** Clear every cooldown and open breaker. */
  async resetAll(): Promise<boolean> {
    return this.run('*', () => this.client.resetHealth('', ''))
  }

  private async run(key: string, op: () => Promise<number>): Promise<boolean> {
    this.resetting = key
    this.resetError = ''
    try {
      this.lastCleared = await op()
      await this.load()
      return true
    } catch (e) {
      this.resetError = message(e)
      return false
    } finally {
      this.resetting = null
    }
  }
}

export const healthStore = new HealthStore()
