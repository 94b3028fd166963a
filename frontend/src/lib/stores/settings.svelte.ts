// Dashboard/gateway settings.

import { api, type Api } from '../api/client'
import type { LanguagePref, Settings } from '../api/types'
import { applyLanguage, isLanguagePref } from '../i18n'

export type SettingsApi = Pick<Api, 'getSettings' | 'saveSettings'>

export const defaultSettings: Settings = { logRequestBodies: false, responseCache: false, theme: 'system', quotaReservePercent: 0 }

const THEMES: Settings['theme'][] = ['system', 'light', 'dark']

/**
 * Exactly the known settings fields, defaults filling the gaps: PUT /api/settings
 * rejects unknown fields, so whatever else an answer carried is never sent back.
 */
export function toSettings(v: Partial<Settings> | null | undefined): Settings {
  const o = (v ?? {}) as Partial<Settings>
  return {
    logRequestBodies: typeof o.logRequestBodies === 'boolean' ? o.logRequestBodies : defaultSettings.logRequestBodies,
    responseCache: typeof o.responseCache === 'boolean' ? o.responseCache : defaultSettings.responseCache,
    theme: o.theme && THEMES.includes(o.theme) ? o.theme : defaultSettings.theme,
    // only when known: a save without it keeps the stored language
    ...(isLanguagePref(o.language) ? { language: o.language } : {}),
    quotaReservePercent:
      typeof o.quotaReservePercent === 'number' && Number.isFinite(o.quotaReservePercent)
        ? o.quotaReservePercent
        : defaultSettings.quotaReservePercent,
  }
}

export class SettingsStore {
  /** last value known to be saved on the server */
  value = $state<Settings | null>(null)
  loading = $state(false)
  saving = $state(false)
  error = $state('')
  /** local time of the last successful save (0 = not saved in this session) */
  savedAt = $state(0)

  private client: SettingsApi

  constructor(client: SettingsApi = api) {
    this.client = client
  }

  async load(): Promise<void> {
    this.loading = true
    try {
      const s = await this.client.getSettings()
      this.value = toSettings(s)
      applyLanguage(this.value.language)
      this.error = ''
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e)
    } finally {
      this.loading = false
    }
  }

  /**
   * Save the settings form. The language is the store's own (saveLanguage
   * changes it): a form opened before a language switch cannot undo it.
   */
  async save(next: Settings): Promise<boolean> {
    return this.put(toSettings({ ...next, language: this.value?.language }))
  }

  /** Switch the language everywhere: the page at once, then the Go side through the setting. */
  async saveLanguage(language: LanguagePref): Promise<boolean> {
    if (!this.value) await this.load()
    const before = this.value?.language
    applyLanguage(language)
    if (!this.value) return false
    const ok = await this.put(toSettings({ ...this.value, language }))
    if (!ok) applyLanguage(before)
    return ok
  }

  private async put(body: Settings): Promise<boolean> {
    this.saving = true
    this.error = ''
    try {
      const saved = await this.client.saveSettings(body)
      this.value = toSettings(saved ?? body)
      applyLanguage(this.value.language ?? body.language)
      this.savedAt = Date.now()
      return true
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e)
      return false
    } finally {
      this.saving = false
    }
  }
}

export const settingsStore = new SettingsStore()
