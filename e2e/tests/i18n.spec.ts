import { expect, test, type Browser, type Page } from '@playwright/test'
import fs from 'node:fs'
import { serverInfo, STORAGE_STATE } from '../server'
import { signedInContext } from '../session'

// The dashboard in each of its five languages: the browser's language picks it
// while the setting is "system", the saved setting wins over the browser, and on
// every main page at 1280 and 800 px no button, nav item, label, table header,
// heading or card has text wider than its box.
//
// (This file sorts after dashboard.spec.ts, which redeems the one-time login link.)

const LOCALES = [
  { locale: 'en', browser: 'en-US', settings: 'Settings', nav: 'Main', lang: 'en' },
  { locale: 'fi', browser: 'fi-FI', settings: 'Asetukset', nav: 'Päävalikko', lang: 'fi' },
  { locale: 'pt-BR', browser: 'pt-BR', settings: 'Configurações', nav: 'Principal', lang: 'pt-BR' },
  { locale: 'zh-CN', browser: 'zh-CN', settings: '设置', nav: '主导航', lang: 'zh-CN' },
  { locale: 'es', browser: 'es-ES', settings: 'Ajustes', nav: 'Principal', lang: 'es' },
] as const

const PAGES = ['/', '/setup', '/providers', '/limits', '/combos', '/tools', '/keys', '/health', '/analytics', '/logs', '/playground', '/settings']
/** the setup's steps, each walked on /setup (the Overview before it shows the setup checklist) */
const SETUP_STEPS = ['detect', 'subscriptions', 'keys', 'combo', 'tools', 'test']
const WIDTHS = [1280, 800]

/** Parts of a page that only show after a click, opened before measuring (nothing is written). */
const EXPAND: Record<string, (page: Page) => Promise<void>> = {
  // the tools not found here are folded; a preview of the first card shows the diff and its confirm row
  '/tools': async (page) => {
    await page.locator('[data-testid="tools-others"]').evaluateAll((els) => els.forEach((d) => d.setAttribute('open', '')))
    const card = page.getByTestId('tool-card').first()
    if ((await card.count()) === 0) return
    // a DOM click: below 1000 px the opened menu lies over the page
    await card.locator('button[type="submit"]').evaluate((b: HTMLButtonElement) => b.click())
    await expect(card.getByTestId('tool-plan').or(card.getByTestId('tool-error'))).toBeVisible()
  },
  // a key's revoke confirmation (asked, not answered)
  '/keys': async (page) => {
    const row = page.getByTestId('key-row').first()
    await row.locator('button.danger').evaluate((b: HTMLButtonElement) => b.click())
    await expect(row.getByRole('group')).toBeVisible()
  },
}

/** What must never cut its text: checked for scrollWidth > clientWidth. */
const BOXES = 'button, nav a, label, th, h1, h2, h3, .card, .badge, select, [role="tab"], [role="switch"], summary, legend'

interface Overflow {
  what: string
  text: string
  scroll: number
  client: number
}

/** Visible boxes whose content is wider than they are (scroll containers may scroll: skipped). */
async function overflows(page: Page): Promise<Overflow[]> {
  return page.evaluate((selector) => {
    const out: { what: string; text: string; scroll: number; client: number }[] = []
    for (const el of Array.from(document.querySelectorAll<HTMLElement>(selector))) {
      if (!el.offsetParent && getComputedStyle(el).position !== 'fixed') continue // hidden
      const cs = getComputedStyle(el)
      if (cs.display === 'inline' || el.clientWidth <= 1) continue // no box of its own (or visually hidden): its parent is checked
      if (cs.overflowX === 'auto' || cs.overflowX === 'scroll') continue
      if (el.scrollWidth > el.clientWidth + 1) {
        const cls = el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : ''
        out.push({
          what: el.tagName.toLowerCase() + cls,
          text: (el.innerText || '').replace(/\s+/g, ' ').trim().slice(0, 80),
          scroll: el.scrollWidth,
          client: el.clientWidth,
        })
      }
    }
    return out
  }, BOXES)
}

async function contextFor(browser: Browser, locale: string, width: number) {
  if (!fs.existsSync(STORAGE_STATE)) await (await signedInContext(browser)).close()
  return browser.newContext({ storageState: STORAGE_STATE, locale, viewport: { width, height: 900 } })
}

test.describe('languages', () => {
  let base: string
  let keyId = ''

  test.beforeAll(async ({ browser }) => {
    base = serverInfo().baseURL
    // the setting starts at "system": the browser's language decides
    const ctx = await signedInContext(browser)
    const st = await (await ctx.request.get(`${base}/api/settings`)).json()
    expect(st.language).toBe('system')
    // a key, so the keys table and its revoke confirmation are measured too
    const created = await ctx.request.post(`${base}/api/keys`, { data: { name: 'e2e-i18n' } })
    expect(created.status(), await created.text()).toBe(201)
    keyId = ((await created.json()) as { key: { id: string } }).key.id
    await ctx.close()
  })

  test.afterAll(async ({ browser }) => {
    if (!keyId) return
    const ctx = await signedInContext(browser)
    await ctx.request.delete(`${base}/api/keys/${keyId}`)
    await ctx.close()
  })

  for (const l of LOCALES) {
    for (const width of WIDTHS) {
      test(`${l.locale} at ${width} px: every main page speaks it and nothing overflows`, async ({ browser }) => {
        test.setTimeout(120_000)
        const context = await contextFor(browser, l.browser, width)
        const page = await context.newPage()
        const errors: string[] = []
        page.on('pageerror', (e) => errors.push(String(e)))
        const found: string[] = []
        for (const path of PAGES) {
          await page.goto(`${base}/#${path}`)
          await expect(page.locator('html')).toHaveAttribute('lang', l.lang)
          // below 1000 px the sidebar folds behind the Menu button: open it to read it, then close it
          const narrow = width < 1000
          if (narrow) await page.getByTestId('menu-toggle').click()
          await expect(page.getByRole('navigation', { name: l.nav }).getByRole('link', { name: l.settings, exact: true })).toBeVisible()
          if (narrow) {
            for (const o of await overflows(page)) found.push(`${path} (menu open): <${o.what}> "${o.text}" ${o.scroll} > ${o.client}`)
            await page.keyboard.press('Escape')
          }
          await expect(page.locator('main h1').first()).toBeVisible()
          // let the page's data arrive and its lazy parts render
          await page.waitForLoadState('load')
          await page.waitForTimeout(400)
          await EXPAND[path]?.(page)
          for (const o of await overflows(page)) found.push(`${path}: <${o.what}> "${o.text}" ${o.scroll} > ${o.client}`)
          if (path === '/') {
            await expect(page.getByTestId('setup-checklist')).toBeVisible()
            if (process.env.I18N_SHOTS) await page.screenshot({ path: `../build/i18n-${l.locale}-${width}-overview.png`, fullPage: true })
          }
          if (path === '/setup') {
            for (const step of SETUP_STEPS) {
              await page.getByTestId(`step-${step}`).click()
              await expect(page.getByTestId('setup-step')).toHaveAttribute('data-step', step)
              if (step === 'keys') await page.locator('details.paste summary').click()
              await page.waitForTimeout(300)
              for (const o of await overflows(page)) found.push(`/setup ${step}: <${o.what}> "${o.text}" ${o.scroll} > ${o.client}`)
              if (process.env.I18N_SHOTS) await page.screenshot({ path: `../build/i18n-${l.locale}-${width}-setup-${step}.png`, fullPage: true })
            }
          }
        }
        if (process.env.I18N_SHOTS) await page.screenshot({ path: `../build/i18n-${l.locale}-${width}.png`, fullPage: true })
        await context.close()
        expect(errors, 'no script errors').toEqual([])
        expect(found, `text wider than its box (${l.locale}, ${width} px)`).toEqual([])
      })
    }
  }

  test('the saved language wins over the browser, and "system" hands it back', async ({ browser }) => {
    const admin = await signedInContext(browser)
    const st = await (await admin.request.get(`${base}/api/settings`)).json()
    try {
      let res = await admin.request.put(`${base}/api/settings`, { data: { ...st, language: 'fi' } })
      expect(res.status()).toBe(200)
      expect((await res.json()).language).toBe('fi')

      const context = await contextFor(browser, 'es-ES', 1280)
      const page = await context.newPage()
      await page.goto(`${base}/#/settings`)
      await expect(page.getByRole('navigation', { name: 'Päävalikko' }).getByRole('link', { name: 'Asetukset', exact: true })).toBeVisible()
      await expect(page.locator('html')).toHaveAttribute('lang', 'fi')

      res = await admin.request.put(`${base}/api/settings`, { data: { ...st, language: 'system' } })
      expect(res.status()).toBe(200)
      await page.reload()
      await expect(page.getByRole('navigation', { name: 'Principal' }).getByRole('link', { name: 'Ajustes', exact: true })).toBeVisible()
      await expect(page.locator('html')).toHaveAttribute('lang', 'es')
      await context.close()

      res = await admin.request.put(`${base}/api/settings`, { data: { ...st, language: 'de' } })
      expect(res.status(), 'an unknown language is refused').toBe(400)
    } finally {
      await admin.request.put(`${base}/api/settings`, { data: { ...st, language: 'system' } }).catch(() => {})
      await admin.close()
    }
  })
})
