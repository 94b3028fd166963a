import { describe, expect, it, vi } from 'vitest'
import type { Settings } from '../api/types'
import { defaultSettings, SettingsStore, toSettings } from './settings.svelte'

describe('settings', () => {
  it('keeps exactly the three fields, with defaults for missing or odd values', () => {
    expect(defaultSettings).toEqual({ logRequestBodies: false, responseCache: false, theme: 'system', quotaReservePercent: 0 })
    expect(toSettings(null)).toEqual(defaultSettings)
    expect(toSettings({ logRequestBodies: true, theme: 'dark', quotaReservePercent: 0 })).toEqual({ logRequestBodies: true, responseCache: false, theme: 'dark', quotaReservePercent: 0 })
    const extra = { logRequestBodies: false, responseCache: true, theme: 'light', notify: { on: true } } as unknown as Settings
    expect(toSettings(extra)).toEqual({ logRequestBodies: false, responseCache: true, theme: 'light', quotaReservePercent: 0 })
    expect(toSettings({ theme: 'neon' as Settings['theme'] }).theme).toBe('system')
  })

  it('loads and saves only those fields', async () => {
    const client = {
      getSettings: vi.fn(async () => ({ logRequestBodies: true, theme: 'dark', extra: 1 }) as unknown as Settings),
      saveSettings: vi.fn(async (s: Settings) => s),
    }
    const store = new SettingsStore(client)
    await store.load()
    expect(store.value).toEqual({ logRequestBodies: true, responseCache: false, theme: 'dark', quotaReservePercent: 0 })
    expect(await store.save({ ...store.value!, responseCache: true })).toBe(true)
    expect(client.saveSettings).toHaveBeenCalledWith({ logRequestBodies: true, responseCache: true, theme: 'dark', quotaReservePercent: 0 })
    expect(store.value).toEqual({ logRequestBodies: true, responseCache: true, theme: 'dark', quotaReservePercent: 0 })
  })
})
