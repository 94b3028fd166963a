// The dashboard's language. Messages are paraglide-js functions (m.key());
// they read the locale through getLocale(), which is pointed here at a rune,
// so every text on screen re-renders when the language changes: no reload.
// The choice ("system" or a locale) is a setting shared with the Go side
// (tray, notifications, CLI); it is also kept in localStorage so the first
// paint already speaks it.

import { baseLocale, locales, overwriteGetLocale, type Locale } from '../paraglide/runtime.js'

export type { Locale }
export type LanguagePref = 'system' | Locale
export { locales }

/** each language by its own name: a user who cannot read the current one still finds theirs */
export const languageNames: Record<Locale, string> = {
  en: 'English',
  fi: 'Suomi',
  'pt-BR': 'Português (Brasil)',
  'zh-CN': '简体中文',
  es: 'Español',
}

const STORAGE_KEY = 'switchboard.language'

let active = $state<Locale>(baseLocale)
overwriteGetLocale(() => active)

/**
 * The supported locale closest to a BCP 47 tag or a POSIX name
 * ("fi-FI", "pt_PT.UTF-8", "zh-Hant-TW"): by language (any Portuguese reads
 * the Brazilian catalog, any Chinese the Simplified one), else null.
 */
export function matchLocale(tag: string | null | undefined): Locale | null {
  if (!tag) return null
  const t = tag.split(/[.@]/)[0].replace(/_/g, '-').toLowerCase()
  const exact = locales.find((l) => l.toLowerCase() === t)
  if (exact) return exact
  const lang = t.split('-')[0]
  return locales.find((l) => l.toLowerCase().split('-')[0] === lang) ?? null
}

/** The browser's (or WebView's) languages, first match wins; English otherwise. */
export function systemLocale(): Locale {
  const nav = typeof navigator === 'undefined' ? undefined : navigator
  const tags = nav?.languages?.length ? nav.languages : [nav?.language]
  for (const tag of tags) {
    const l = matchLocale(tag)
    if (l) return l
  }
  return baseLocale
}

export function isLanguagePref(v: unknown): v is LanguagePref {
  return v === 'system' || (typeof v === 'string' && (locales as readonly string[]).includes(v))
}

/** The locale a preference resolves to here. */
export function resolveLanguage(pref: LanguagePref | null | undefined): Locale {
  return pref && pref !== 'system' ? pref : systemLocale()
}

/** Switch the page to a preference (and remember it for the next first paint). */
export function applyLanguage(pref: LanguagePref | null | undefined): void {
  const p: LanguagePref = isLanguagePref(pref) ? pref : 'system'
  active = resolveLanguage(p)
  if (typeof document !== 'undefined') document.documentElement.lang = active
  try {
    localStorage.setItem(STORAGE_KEY, p)
  } catch {
    /* storage unavailable */
  }
}

/** The preference remembered from the last visit ("system" when none). */
export function storedLanguage(): LanguagePref {
  try {
    const v = localStorage.getItem(STORAGE_KEY)
    if (isLanguagePref(v)) return v
  } catch {
    /* storage unavailable */
  }
  return 'system'
}

/** The active locale: for Intl formatters (reading it inside a template tracks changes). */
export function currentLocale(): Locale {
  return active
}
