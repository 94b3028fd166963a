// Notification preferences: which alerts the desktop app shows, and how often.
// The page edits the interval in minutes; the wire carries seconds.

import { api, type Api } from '../api/client'
import type { NotificationKind, NotificationPrefs } from '../api/types'
import { m } from '../i18n'

export type NotificationsApi = Pick<Api, 'getNotificationPrefs' | 'saveNotificationPrefs'>

/** the server's bounds of intervalSec */
export const MIN_INTERVAL_SEC = 10
export const MAX_INTERVAL_SEC = 24 * 3600

/** the server's defaults: everything on, five minutes */
export const defaultNotificationPrefs: NotificationPrefs = {
  enabled: true,
  breakerOpen: true,
  quotaExhausted: true,
  comboUnavailable: true,
  oauthRefreshFailed: true,
  recovered: true,
  quotaThreshold: true,
  quotaBack: true,
  keyBudget: true,
  quotaThresholdPercent: 90,
  intervalSec: 300,
}

/** the per-kind switches, in the order the page lists them, with what each one alerts about */
const kind = (key: NotificationKind, label: () => string) => ({
  key,
  get label() {
    return label()
  },
})

/** the alert kinds; label reads the active language */
export const NOTIFICATION_KINDS: { key: NotificationKind; readonly label: string }[] = [
  kind('breakerOpen', m.nk_breaker_open),
  kind('quotaThreshold', m.nk_quota_threshold),
  kind('quotaExhausted', m.nk_quota_exhausted),
  kind('quotaBack', m.nk_quota_back),
  kind('comboUnavailable', m.nk_combo_unavailable),
  kind('oauthRefreshFailed', m.nk_oauth_refresh_failed),
  kind('recovered', m.nk_recovered),
  kind('keyBudget', m.nk_key_budget),
]

const bool = (v: unknown, dflt: boolean) => (typeof v === 'boolean' ? v : dflt)

/**
 * Exactly the known fields, defaults filling the gaps: PUT /api/notifications
 * rejects unknown fields, so whatever else an answer carried is never sent back.
 * The interval is passed through as given (a whole number of seconds): the server
 * judges its range.
 */
export function toNotificationPrefs(v: Partial<NotificationPrefs> | null | undefined): NotificationPrefs {
  const o = (v ?? {}) as Partial<NotificationPrefs>
  const d = defaultNotificationPrefs
  return {
    enabled: bool(o.enabled, d.enabled),
    breakerOpen: bool(o.breakerOpen, d.breakerOpen),
    quotaExhausted: bool(o.quotaExhausted, d.quotaExhausted),
    comboUnavailable: bool(o.comboUnavailable, d.comboUnavailable),
    oauthRefreshFailed: bool(o.oauthRefreshFailed, d.oauthRefreshFailed),
    recovered: bool(o.recovered, d.recovered),
    quotaThreshold: bool(o.quotaThreshold, d.quotaThreshold),
    quotaBack: bool(o.quotaBack, d.quotaBack),
    keyBudget: bool(o.keyBudget, d.keyBudget),
    quotaThresholdPercent:
      typeof o.quotaThresholdPercent === 'number' && Number.isFinite(o.quotaThresholdPercent)
        ? Math.round(o.quotaThresholdPercent)
        : d.quotaThresholdPercent,
    ...(o.quotaThresholds && typeof o.quotaThresholds === 'object' ? { quotaThresholds: { ...o.quotaThresholds } } : {}),
    intervalSec: typeof o.intervalSec === 'number' && Number.isFinite(o.intervalSec) ? Math.round(o.intervalSec) : d.intervalSec,
  }
}

/** Seconds (wire) → minutes (page), to two decimals: 300 → 5, 90 → 1.5, 10 → 0.17. */
export function secondsToMinutes(sec: number): number {
  return Math.round((sec / 60) * 100) / 100
}

/**
 * Minutes (page) → whole seconds (wire): 5 → 300, 1.5 → 90, 0.17 → 10.
 * Round-trips every whole number of seconds through secondsToMinutes.
 */
export function minutesToSeconds(min: number): number {
  return Math.round(min * 60)
}

/** "Between 0.17 and 1440 minutes" style range of the interval field, in minutes. */
export const INTERVAL_MINUTES = { min: secondsToMinutes(MIN_INTERVAL_SEC), max: secondsToMinutes(MAX_INTERVAL_SEC) }

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

/**
 * The user-facing part of a refusal. Over HTTP the server already strips its
 * "invalid: " prefix; a bound Go method's error still carries it.
 */
export function saveErrorMessage(e: unknown): string {
  return message(e).replace(/^(invalid: )+/, '')
}

export class NotificationsStore {
  /** last value known to be saved on the server */
  value = $state<NotificationPrefs | null>(null)
  loading = $state(false)
  saving = $state(false)
  /** failure to load */
  loadError = $state('')
  /** the last save failed: the server's message */
  saveError = $state('')
  /** the save was refused because of the interval (the message belongs next to that field) */
  intervalInvalid = $state(false)
  /** local time of the last successful save (0 = not saved in this session) */
  savedAt = $state(0)

  private client: NotificationsApi

  constructor(client: NotificationsApi = api) {
    this.client = client
  }

  async load(): Promise<void> {
    this.loading = true
    try {
      this.value = toNotificationPrefs(await this.client.getNotificationPrefs())
      this.loadError = ''
    } catch (e) {
      this.loadError = message(e)
    } finally {
      this.loading = false
    }
  }

  async save(next: NotificationPrefs): Promise<boolean> {
    this.saving = true
    this.saveError = ''
    this.intervalInvalid = false
    try {
      const body = toNotificationPrefs(next)
      const saved = await this.client.saveNotificationPrefs(body)
      this.value = toNotificationPrefs(saved ?? body)
      this.savedAt = Date.now()
      return true
    } catch (e) {
      this.saveError = saveErrorMessage(e)
      // HTTP: 400 {"error":{"message":"… intervalSec must be between 10 and 86400 seconds"}};
      // Wails: the same text as the rejected call's error
      this.intervalInvalid = /intervalSec/i.test(this.saveError)
      return false
    } finally {
      this.saving = false
    }
  }

  /** Forget the last save's error (the user is editing again). */
  clearSaveError(): void {
    this.saveError = ''
    this.intervalInvalid = false
  }
}

export const notificationsStore = new NotificationsStore()
