// The dashboard's catalogs (messages/<locale>.json): complete in every
// locale, with the same placeholders as English, and every key used by the
// code while every key the code uses exists. Keys are found in the sources
// as m.key / m['key'] (in files importing m) or as a quoted key name (a
// route's labelKey). Files not converted yet simply hold no keys.

import { describe, expect, it } from 'vitest'
import settings from '../../../project.inlang/settings.json'

const locales: string[] = settings.locales

type Message = string | { match: Record<string, string> }[]

const catalogs = import.meta.glob<Record<string, Message>>('../../../messages/*.json', { eager: true, import: 'default' })
// the sources, as text (generated message code and tests left out)
const files = import.meta.glob<string>(['../../**/*.{svelte,ts}', '!../../**/*.test.ts', '!../../lib/paraglide/**', '!../../test/**'], {
  eager: true,
  query: '?raw',
  import: 'default',
})

function catalog(locale: string): Record<string, Message> {
  const raw = { ...catalogs[`../../../messages/${locale}.json`] }
  delete raw.$schema
  return raw
}

/** Every text of a message (each plural variant of it). */
function texts(msg: Message): string[] {
  return typeof msg === 'string' ? [msg] : msg.flatMap((v) => Object.values(v.match))
}

function placeholders(msg: Message): string[] {
  const set = new Set<string>()
  for (const t of texts(msg)) for (const p of t.matchAll(/\{(\w+)\}/g)) set.add(p[1])
  return [...set].sort()
}

const base = catalog('en')

describe('catalogs', () => {
  it('the project lists the five locales, English first', () => {
    expect(locales).toEqual(['en', 'fi', 'pt-BR', 'zh-CN', 'es'])
  })

  for (const locale of locales.slice(1)) {
    it(`${locale} has every English key, no other, none empty, the same placeholders`, () => {
      const c = catalog(locale)
      const missing = Object.keys(base).filter((k) => !(k in c))
      const extra = Object.keys(c).filter((k) => !(k in base))
      const empty = Object.keys(c).filter((k) => texts(c[k]).some((t) => !t.trim()))
      const args = Object.keys(base)
        .filter((k) => k in c && placeholders(base[k]).join() !== placeholders(c[k]).join())
        .map((k) => `${k}: ${placeholders(c[k])} vs ${placeholders(base[k])}`)
      expect({ missing, extra, empty, args }).toEqual({ missing: [], extra: [], empty: [], args: [] })
    })
  }

  // A count picks its variant by the locale's plural rules: a category the
  // message lacks shows the key instead of text (Spanish and Portuguese
  // call 1,000,000 "many").
  for (const locale of locales) {
    it(`${locale}: every plural message has a variant for each of the locale's plural categories`, () => {
      const cats = new Intl.PluralRules(locale).resolvedOptions().pluralCategories
      const gaps: string[] = []
      for (const [k, msg] of Object.entries(catalog(locale))) {
        if (typeof msg === 'string') continue
        for (const v of msg) {
          const sel = Object.keys(v.match)[0]?.split('=')[0]
          for (const c of cats) if (!(`${sel}=${c}` in v.match)) gaps.push(`${k}: ${c}`)
        }
      }
      expect(gaps).toEqual([])
    })
  }

  it('every key is used by the code and every key the code uses exists', () => {
    const used = new Map<string, string>()
    for (const [f, text] of Object.entries(files)) {
      // m.x counts only where m is the messages (other code has its own m)
      const importsM = /import\s*\{[^}]*\bm\b[^}]*\}\s*from\s*['"][^'"]*(i18n|paraglide\/messages)/.test(text)
      if (importsM) for (const hit of text.matchAll(/\bm\.([a-z][a-z0-9_]*)\b|\bm\[['"]([a-z][a-z0-9_]*)['"]\]/g)) {
        used.set(hit[1] ?? hit[2], f)
      }
      for (const hit of text.matchAll(/['"]([a-z][a-z0-9]*_[a-z0-9_]+)['"]/g)) {
        if (hit[1] in base) used.set(hit[1], f)
      }
    }
    expect(Object.keys(files).length).toBeGreaterThan(50) // the scan itself works
    expect(used.size).toBeGreaterThan(20)
    const unknown = [...used].filter(([k]) => !(k in base)).map(([k, f]) => `${k} (${f})`)
    const unused = Object.keys(base).filter((k) => !used.has(k))
    expect({ unknown, unused }).toEqual({ unknown: [], unused: [] })
  })
})
