import { screen, waitFor } from '@testing-library/dom'
import userEvent from '@testing-library/user-event'
import { afterEach, describe, expect, it } from 'vitest'
import { applyLanguage } from '../i18n'
import { SettingsStore } from '../stores/settings.svelte'
import type { Settings } from '../api/types'

let cleanup: (() => void) | undefined

afterEach(() => {
  cleanup?.()
  cleanup = undefined
  applyLanguage('en')
})

describe('Language panel', () => {
  it('switches the page at once and saves the choice as a setting, the other settings as they are', async () => {
    const user = userEvent.setup()
    let stored: Settings = { logRequestBodies: true, responseCache: false, theme: 'dark', quotaReservePercent: 10, language: 'system' }
    const saves: Settings[] = []
    const store = new SettingsStore({
      getSettings: async () => stored,
      saveSettings: async (s) => {
        saves.push(s)
        stored = s
        return s
      },
    })
    const tl = await import('@testing-library/svelte')
    const { default: LanguagePanel } = await import('./LanguagePanel.svelte')
    cleanup = tl.cleanup
    tl.render(LanguagePanel, { store })

    expect(await screen.findByRole('heading', { name: 'Language' })).toBeTruthy()
    const select = await screen.findByTestId('language-select')
    await waitFor(() => expect((select as HTMLSelectElement).disabled).toBe(false))
    // each language by its own name, and the system's named in the current one
    expect(screen.getByRole('option', { name: 'Suomi' })).toBeTruthy()
    expect(screen.getByRole('option', { name: /^System \(/ })).toBeTruthy()

    await user.selectOptions(select, 'fi')
    expect(await screen.findByRole('heading', { name: 'Kieli' })).toBeTruthy()
    expect(document.documentElement.lang).toBe('fi')
    expect(saves).toEqual([{ logRequestBodies: true, responseCache: false, theme: 'dark', quotaReservePercent: 10, language: 'fi' }])
    expect(await screen.findByText('Tallennettu')).toBeTruthy()
  })
})
