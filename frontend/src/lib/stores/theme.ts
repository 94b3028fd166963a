// Apply the theme setting: "system" follows prefers-color-scheme (pure CSS),
// "light"/"dark" force it via <html data-theme>. Remembered locally to avoid a
// flash of the wrong theme before the settings are loaded.

import type { Theme } from '../api/types'

const STORAGE_KEY = 'switchboard.theme'

export function storedTheme(): Theme {
  try {
    const t = localStorage.getItem(STORAGE_KEY)
    if (t === 'light' || t === 'dark' || t === 'system') return t
  } catch {
    /* storage unavailable */
  }
  return 'system'
}

export function applyTheme(theme: Theme): void {
  const root = document.documentElement
  if (theme === 'system') delete root.dataset.theme
  else root.dataset.theme = theme
  try {
    localStorage.setItem(STORAGE_KEY, theme)
  } catch {
    /* storage unavailable */
  }
}
