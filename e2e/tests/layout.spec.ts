import { expect, test, type BrowserContext, type Page } from '@playwright/test'
import { serverInfo } from '../server'
import { signedInContext } from '../session'

// Every page at 800 and 480 px: the document never scrolls sideways (wide
// tables scroll inside their cards), nothing sticks out of the window, and
// below 1000 px the sidebar folds behind the Menu button.
//
// (This file sorts after dashboard.spec.ts, which redeems the one-time login link.)

const PAGES = ['/', '/providers', '/limits', '/combos', '/tools', '/keys', '/health', '/analytics', '/logs', '/settings']

/** elements whose right edge is past the viewport (cut off), ignoring those inside a scroller */
async function overflow(page: Page) {
  return page.evaluate(() => {
    const vw = document.documentElement.clientWidth
    const out: string[] = []
    const doc = document.documentElement.scrollWidth - vw
    if (doc > 0) out.push(`document scrolls sideways by ${doc}px`)
    for (const el of document.querySelectorAll<HTMLElement>('main *')) {
      const r = el.getBoundingClientRect()
      if (r.width === 0 || r.right <= vw + 1) continue
      let p = el.parentElement
      let clipped = false
      while (p && p !== document.body) {
        const o = getComputedStyle(p).overflowX
        if (o === 'auto' || o === 'scroll' || o === 'hidden' || o === 'clip') {
          clipped = true
          break
        }
        p = p.parentElement
      }
      if (!clipped) {
        const id = el.dataset.testid ? `[data-testid=${el.dataset.testid}]` : el.className ? `.${String(el.className).split(' ')[0]}` : ''
        out.push(`${el.tagName.toLowerCase()}${id} ends at ${Math.round(r.right)}px`)
      }
      if (out.length > 8) break
    }
    return out
  })
}

test.describe.serial('layout at 800 and 480 px', () => {
  let context: BrowserContext
  let base: string

  test.beforeAll(async ({ browser }) => {
    base = serverInfo().baseURL
    context = await signedInContext(browser)
  })

  test.afterAll(async () => {
    await context?.close()
  })

  for (const width of [800, 480]) {
    test(`no page is cut off or scrolls sideways at ${width} px`, async () => {
      const page = await context.newPage()
      await page.setViewportSize({ width, height: 900 })
      for (const p of PAGES) {
        await page.goto(`${base}/#${p}`)
        await expect(page.locator('main h1').first()).toBeVisible()
        await page.waitForLoadState('networkidle')
        expect(await overflow(page), `page ${p} at ${width} px`).toEqual([])
      }
      await page.close()
    })
  }

  test('below 1000 px the sidebar folds behind the Menu button; at 1280 px it is always there', async () => {
    const page = await context.newPage()
    await page.setViewportSize({ width: 800, height: 800 })
    await page.goto(`${base}/#/`)
    const nav = page.getByRole('navigation', { name: 'Main' })
    const toggle = page.getByRole('button', { name: 'Menu', exact: true })
    await expect(nav).toBeHidden()
    await expect(toggle).toHaveAttribute('aria-expanded', 'false')
    await toggle.click()
    await expect(nav).toBeVisible()
    await expect(toggle).toHaveAttribute('aria-expanded', 'true')
    await nav.getByRole('link', { name: 'Health' }).click()
    await expect(page).toHaveURL(/#\/health$/)
    await expect(nav).toBeHidden() // picking a page closes it
    await toggle.click()
    await page.keyboard.press('Escape')
    await expect(nav).toBeHidden()

    await page.setViewportSize({ width: 1280, height: 800 })
    await expect(nav).toBeVisible()
    await expect(toggle).toBeHidden()
    await page.close()
  })
})
