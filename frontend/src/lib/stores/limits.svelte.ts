// Quota limits: every account's windows (the Limits page and the Overview's
// card), re-read when a pushed status says the figures changed (quotaRev) and
// slowly while visible as a safety net; an account's usage endpoint can be
// asked again on demand.

import { onMount, untrack } from 'svelte'
import { api, type Api } from '../api/client'
import type { QuotaAccount, QuotaOverview, QuotaWindow } from '../api/types'
import { formatCountdown, formatNumber, formatRelative } from '../format'
import { m } from '../i18n'
import { startPolling, type PollerDeps } from '../poller'
import { statusStore } from './status.svelte'

export type LimitsApi = Pick<Api, 'listQuota' | 'refreshQuota'>

/** the safety-net re-read while visible; pushed quota changes re-read at once */
export const LIMITS_REFRESH_MS = 30_000

/** how many accounts the Overview's card shows */
export const TIGHTEST_COUNT = 3

/** A failure as the user reads it (a Go error over Wails keeps its "invalid: " prefix). */
function message(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e)
  return msg.replace(/^(?:[a-z]+: )*invalid: /, '')
}

const SOURCES: Record<string, () => string> = { usage: m.quota_source_usage, headers: m.quota_source_headers, error: () => '429' }
const SOURCE_HINTS: Record<string, () => string> = {
  usage: m.quota_source_hint_usage,
  headers: m.quota_source_hint_headers,
  error: m.quota_source_hint_error,
}

/** "usage endpoint" | "headers" | "429" */
export function sourceLabel(source: string): string {
  return SOURCES[source]?.() ?? source
}

export function sourceHint(source: string): string {
  return SOURCE_HINTS[source]?.() ?? ''
}

const STATES: Record<string, () => string> = { ok: m.quota_state_ok, reserve: m.quota_state_reserve, exhausted: m.quota_state_exhausted }

export function stateLabel(state: string): string {
  return STATES[state]?.() ?? state
}

/** the percent shown: whole numbers, and 100 only for a window really used up */
export function percentOf(w: QuotaWindow): number {
  if (w.exhausted) return 100
  return Math.min(99, Math.max(0, Math.round(w.percent)))
}

/** "72% used" */
export function usedText(w: QuotaWindow): string {
  return m.quota_used({ pct: percentOf(w) })
}

/** "280 / 1,000 left", "280 left", or "" when the vendor gave no counts */
export function countsText(w: QuotaWindow): string {
  if (w.remaining === undefined) return ''
  if (w.limit === undefined || w.limit <= 0) return m.quota_left({ n: formatNumber(w.remaining) })
  return m.quota_left_of({ n: formatNumber(w.remaining), limit: formatNumber(w.limit) })
}

/** "resets in 1h 12m"; a stale window has started afresh; "" when the reset is unknown */
export function resetText(w: QuotaWindow, now: number): string {
  if (w.stale) return m.quota_reset_passed()
  if (!w.resetAt) return ''
  const at = Date.parse(w.resetAt)
  return at > now ? m.quota_resets_in({ left: formatCountdown(at, now) }) : m.quota_resetting_now()
}

/** "updated 3 minutes ago" */
export function freshText(w: QuotaWindow, now: number): string {
  return m.quota_updated({ when: formatRelative(w.observedAt, now) })
}

export type BarTone = 'ok' | 'high' | 'out'

/** a bar's colour: out when used up, high past the alert threshold or inside the reserve */
export function barTone(w: QuotaWindow, o: Pick<QuotaOverview, 'reservePercent' | 'thresholdPercent'> | null): BarTone {
  if (w.exhausted) return 'out'
  if (w.stale) return 'ok'
  const threshold = o?.thresholdPercent || 90
  const reserve = o?.reservePercent ?? 0
  return w.percent >= threshold || (reserve > 0 && 100 - w.percent < reserve) ? 'high' : 'ok'
}

/** "Claude · max" (the provider alone for a keyless one) */
export function accountTitle(a: QuotaAccount): string {
  const provider = a.providerName || a.provider
  return a.account ? `${provider} · ${a.account}` : provider
}

const STATE_RANK: Record<string, number> = { exhausted: 0, reserve: 1 }

/**
 * The accounts with the least headroom: used up first, then inside the reserve,
 * then by their tightest window; accounts with no live window are left out.
 */
export function tightestAccounts(accounts: QuotaAccount[], n = TIGHTEST_COUNT): QuotaAccount[] {
  return accounts
    .filter((a) => a.tightest && !a.tightest.stale)
    .map((a, i) => ({ a, i }))
    .sort(
      (x, y) =>
        (STATE_RANK[x.a.state] ?? 2) - (STATE_RANK[y.a.state] ?? 2) || y.a.tightest!.percent - x.a.tightest!.percent || x.i - y.i,
    )
    .slice(0, n)
    .map((x) => x.a)
}

export interface LimitsDeps {
  poller: Partial<PollerDeps>
}

export class LimitsStore {
  overview = $state<QuotaOverview | null>(null)
  loaded = $state(false)
  loading = $state(false)
  /** failure to load */
  error = $state('')
  /** accountId → a refresh is running */
  refreshing = $state<Record<string, boolean>>({})
  /** accountId → why its last refresh failed */
  refreshErrors = $state<Record<string, string>>({})

  private client: LimitsApi
  private pollerDeps: Partial<PollerDeps>
  private seq = 0

  constructor(client: LimitsApi = api, deps: Partial<LimitsDeps> = {}) {
    this.client = client
    this.pollerDeps = deps.poller ?? {}
  }

  get accounts(): QuotaAccount[] {
    return this.overview?.accounts ?? []
  }

  /** Read every account's windows; an answer to an older read is dropped, a failure keeps the figures. */
  async load(): Promise<void> {
    const mine = ++this.seq
    this.loading = true
    try {
      const o = await this.client.listQuota()
      if (mine !== this.seq) return
      this.overview = o
      this.error = ''
      this.loaded = true
    } catch (e) {
      if (mine === this.seq) this.error = message(e)
    } finally {
      if (mine === this.seq) this.loading = false
    }
  }

  /** Re-read every LIMITS_REFRESH_MS while the page is visible. Returns the stop function. */
  startPolling(): () => void {
    return startPolling(
      () => {
        if (!this.loading) void this.load()
      },
      LIMITS_REFRESH_MS,
      this.pollerDeps,
    )
  }

  /**
   * Ask an account's usage endpoint now. On success its figures replace the old ones;
   * on failure the server's message is kept for the account (and the list re-read:
   * a failed poll records its error).
   */
  async refresh(accountId: string): Promise<boolean> {
    this.refreshing[accountId] = true
    delete this.refreshErrors[accountId]
    try {
      const fresh = await this.client.refreshQuota(accountId)
      this.seq++ // a read in flight predates this answer
      if (this.overview) {
        this.overview.accounts = this.overview.accounts.map((a) =>
          a.accountId === accountId
            ? { ...fresh, account: fresh.account || a.account, providerName: fresh.providerName || a.providerName, provider: fresh.provider || a.provider }
            : a,
        )
      }
      return true
    } catch (e) {
      this.refreshErrors[accountId] = message(e)
      void this.load() // in the background: the button is free again at once
      return false
    } finally {
      delete this.refreshing[accountId]
    }
  }
}

export const limitsStore = new LimitsStore()

/**
 * Call while a component initialises: read the limits when it mounts, again
 * whenever a pushed status carries a new quotaRev (the windows were saved
 * changed), and every LIMITS_REFRESH_MS while the page is visible.
 */
export function followLimits(store: LimitsStore = limitsStore, rev: () => number | undefined = () => statusStore.status?.quotaRev): void {
  let seen = untrack(rev)
  $effect(() => {
    const r = rev()
    untrack(() => {
      if (r !== undefined && r !== seen) {
        seen = r
        void store.load()
      }
    })
  })
  onMount(() => {
    void store.load()
    return store.startPolling()
  })
}
