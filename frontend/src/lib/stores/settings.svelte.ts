// Dashboard/gateway settings.

import { api, type Api } from '../api/client'
import type { Settings } from '../api/types'

export type SettingsApi = Pick<Api, 'getSettings' | 'saveSettings'>

export const defaultSettings: Settings = { logRequestBodies: false, theme: 'system' }

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
      this.value = { ...defaultSettings, ...(s ?? {}) }
      this.error = ''
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e)
    } finally {
      this.loading = false
    }
  }

  async save(next: Settings): Promise<boolean> {
    this.saving = true
    this.error = ''
    try {
      const saved = await this.client.saveSettings({ ...next })
      this.value = { ...defaultSettings, ...(saved ?? next) }
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
