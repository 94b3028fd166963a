// Routing health: providers' circuit breakers, resting (cooling) accounts and the
// recent routing events, refreshed while the page is visible; cooldowns can be
// cleared per account or all at once.

import { api, type Api } from '../api/client'
import type { BreakerState, BreakerView, Cooldown, RoutingEvent, UnusableProvider } from '../api/types'
import { formatClock } from '../format'
import { startPolling, type PollerDeps } from '../poller'

export type HealthApi = Pick<Api, 'getHealth' | 'resetHealth' | 'listEvents' | 'addAccount'>

/** how often the page refreshes while visible */
export const HEALTH_REFRESH_MS = 2000
/** how many recent events are shown */
export const EVENTS_LIMIT = 50

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

export const BREAKER_LABELS: Record<BreakerState, string> = {
  closed: 'Closed',
  open: 'Open',
  half_open: 'Half-open',
}

const REASONS: Record<string, string> = {
  rate_limited: 'Rate limited',
  quota_exhausted: 'Out of quota',
  auth_failed: 'Authentication failed',
  upstream_error: 'Upstream errors',
  model_not_supported: 'Model not supported',
  breaker_open: 'Provider breaker open',
  saturated: 'At its concurrency limit',
  disabled: 'Disabled',
  only_when_exhausted: 'Waits until the ones before are out of quota',
}

/** "rate_limited" → "Rate limited" (unknown reasons are shown readable). */
export function reasonLabel(reason: string): string {
  return REASONS[reason] ?? (reason ? reason.charAt(0).toUpperCase() + reason.slice(1).replaceAll('_', ' ') : '')
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
  const until = e.until > 0 ? ` until ${formatClock(e.until, now)}` : ''
  const model = e.model && e.model !== '*' ? ` for ${e.model}` : ''
  switch (e.kind) {
    case 'provider_tripped':
      return `Provider ${e.provider} tripped: requests go elsewhere${until}`
    case 'provider_recovered':
      return `Provider ${e.provider} recovered`
    case 'account_quota_exhausted':
      return `${who(e.provider, e.account)} is out of quota${until}`
    case 'account_cooling_down':
      return `${who(e.provider, e.account)} is cooling down${model}${until}`
    case 'account_auth_failed':
      return `${who(e.provider, e.account)}: authentication failed${until}`
    case 'combo_unavailable':
      return `Combo ${e.provider} was unavailable: no target could serve`
    case 'key_budget':
      return `Key ${e.account} passed 80% of a budget${e.until > 0 ? `; it resets at ${formatClock(e.until, now)}` : ''}`
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
