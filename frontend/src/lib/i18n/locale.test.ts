import { afterEach, describe, expect, it, vi } from 'vitest'
import { formatUsd, formatTokens } from '../cost'
import { formatCountdown, formatNumber, formatRelative } from '../format'
import { SettingsStore } from '../stores/settings.svelte'
import { applyLanguage, currentLocale, m, matchLocale, storedLanguage, systemLocale } from '.'

afterEach(() => applyLanguage('en'))

describe('locale', () => {
  it('matches system tags to the shipped locales by language', () => {
    expect(matchLocale('fi-FI')).toBe('fi')
    expect(matchLocale('pt_PT.UTF-8')).toBe('pt-BR')
    expect(matchLocale('zh-Hant-TW')).toBe('zh-CN')
    expect(matchLocale('es-419')).toBe('es')
    expect(matchLocale('de-DE')).toBeNull()
  })

  it('follows navigator.languages for "system", the first supported one winning', () => {
    vi.spyOn(navigator, 'languages', 'get').mockReturnValue(['de-DE', 'es-MX', 'en'])
    expect(systemLocale()).toBe('es')
    applyLanguage('system')
    expect(currentLocale()).toBe('es')
    expect(document.documentElement.lang).toBe('es')
    expect(storedLanguage()).toBe('system')
    vi.spyOn(navigator, 'languages', 'get').mockReturnValue(['de-DE'])
    expect(systemLocale()).toBe('en')
  })

  it('switches messages, numbers, money and times with the language', () => {
    applyLanguage('fi')
    expect(m.nav_settings()).toBe('Asetukset')
    expect(formatNumber(1234567)).toBe('1\u00a0234\u00a0567')
    expect(formatUsd(12.345)).toBe('12,35\u00a0$')
    expect(formatTokens(1234)).toBe('1,2k')
    expect(formatCountdown(Date.now() + 65_000)).toBe('1 min 05 s')
    expect(formatRelative('')).toBe('ei koskaan')
    applyLanguage('zh-CN')
    expect(m.nav_settings()).toBe('设置')
    expect(formatUsd(0.0421)).toBe('US$0.042')
    applyLanguage('pt-BR')
    expect(formatUsd(1234.5)).toBe('US$\u00a01.234,50')
    applyLanguage('en')
    expect(formatUsd(0.00001)).toBe('<$0.0001')
    expect(storedLanguage()).toBe('en')
  })

  it('saves the choice as a setting, and a later settings-form save cannot undo it', async () => {
    let stored = { logRequestBodies: false, responseCache: false, theme: 'system' as const, quotaReservePercent: 5, language: 'system' as const }
    const saves: unknown[] = []
    const store = new SettingsStore({
      getSettings: async () => stored,
      saveSettings: async (s) => {
        saves.push(s)
        stored = { ...stored, ...s } as typeof stored
        return stored
      },
    })
    await store.load()
    const form = { ...store.value! }
    expect(await store.saveLanguage('es')).toBe(true)
    expect(currentLocale()).toBe('es')
    expect(saves.at(-1)).toMatchObject({ language: 'es', quotaReservePercent: 5 })
    expect(await store.save({ ...form, theme: 'dark' })).toBe(true)
    expect(saves.at(-1)).toMatchObject({ language: 'es', theme: 'dark' })
    expect(currentLocale()).toBe('es')
  })

  it('goes back to the previous language when the save is refused', async () => {
    const store = new SettingsStore({
      getSettings: async () => ({ logRequestBodies: false, responseCache: false, theme: 'system', quotaReservePercent: 0, language: 'fi' }),
      saveSettings: async () => {
        throw new Error('refused')
      },
    })
    await store.load()
    expect(currentLocale()).toBe('fi')
    expect(await store.saveLanguage('es')).toBe(false)
    expect(currentLocale()).toBe('fi')
    expect(store.error).toBe('refused')
  })
})
