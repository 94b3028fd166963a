import { expect, test, type BrowserContext, type Page } from '@playwright/test'
import { CONFIG_PROVIDER, serverInfo } from '../server'
import { signedInContext } from '../session'

// Cost and Analytics against the real binary: a price is set for the config
// provider's model on the Analytics page's Prices view, requests from a
// "coding tool" go through the gateway to the scripted upstream (JSON and an
// OpenAI stream whose client did not ask for usage), and the open page shows
// them — counted, priced, attributed to the tool, charted — at 800 px wide.
// Settings shows the database size.
//
// (This file sorts after dashboard.spec.ts, which redeems the one-time login link.)

const TOOL_UA = 'aider/0.86.1' // only this spec sends it: its breakdown row is this spec's requests
const MODEL = `${CONFIG_PROVIDER.prefix}/m1`

test.describe.serial('analytics', () => {
  let context: BrowserContext
  let page: Page
  let base: string
  let secret: string

  test.beforeAll(async ({ browser }) => {
    base = serverInfo().baseURL
    context = await signedInContext(browser)
    page = await context.newPage()
    await page.setViewportSize({ width: 800, height: 900 })
    const created = await context.request.post(`${base}/api/keys`, { data: { name: 'e2e-analytics' } })
    expect(created.status(), await created.text()).toBe(201)
    secret = ((await created.json()) as { secret: string }).secret
  })

  test.afterAll(async () => {
    await context?.close()
  })

  test('a price set on the Prices view costs the requests the open page then shows', async () => {
    await page.goto(`${base}/#/`)
    // at 800 px the sidebar is folded behind the Menu button
    await page.getByRole('button', { name: 'Menu', exact: true }).click()
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Analytics' }).click()
    await expect(page).toHaveURL(/#\/analytics$/)
    await expect(page.getByRole('heading', { name: 'Analytics', level: 1 })).toBeVisible()
    await expect(page.getByTestId('stat-requests')).toBeVisible()

    const prices = page.getByTestId('prices-panel')
    // A catalog model priced higher for long prompts shows that tier under its name.
    await prices.getByTestId('price-search').fill('anthropic/claude-sonnet-4-5')
    await expect(prices.locator('[data-model="anthropic/claude-sonnet-4-5"] [data-testid="price-long"]')).toHaveText(
      'over 200k tokens: input 6 · output 22.5 · cache read 0.6 · cache write 7.5',
    )

    // The config provider is custom: no catalog price until one is set.
    await prices.getByTestId('price-search').fill(`${CONFIG_PROVIDER.id}/`)
    await prices.getByTestId('price-add').click()
    const form = prices.getByTestId('price-form')
    await form.getByLabel('Provider').fill(CONFIG_PROVIDER.id)
    await form.getByLabel('Model').fill('m1')
    await form.getByLabel('Input').fill('1000')
    await form.getByLabel('Output').fill('2000')
    await form.getByRole('button', { name: 'Save price' }).click()
    const row = prices.locator(`[data-model="${CONFIG_PROVIDER.id}/m1"]`)
    await expect(row).toContainText('1000')
    await expect(row).toContainText('your price')

    // 3 prompt + 1 completion tokens per answer: $0.003 + $0.002 at these prices.
    const headers = { Authorization: `Bearer ${secret}`, 'User-Agent': TOOL_UA, 'X-Switchboard-No-Cache': 'true' }
    for (let i = 0; i < 2; i++) {
      const res = await context.request.post(`${base}/v1/chat/completions`, {
        headers,
        data: { model: MODEL, messages: [{ role: 'user', content: `analytics ${i}` }] },
      })
      expect(res.status(), await res.text()).toBe(200)
    }
    const streamed = await context.request.post(`${base}/v1/chat/completions`, {
      headers,
      data: { model: MODEL, stream: true, messages: [{ role: 'user', content: 'analytics stream' }] },
    })
    expect(streamed.status()).toBe(200)
    expect(await streamed.text()).toContain('data: [DONE]')

    // The page follows new log rows by itself; group by coding tool.
    await page.getByTestId('group-by').selectOption('tool')
    const toolRow = page.getByTestId('breakdown').locator('tr[data-key="aider"]')
    await expect(toolRow).toContainText('Aider')
    await expect(toolRow.locator('td').first()).toHaveText('3')
    await expect(toolRow.getByTestId('group-cost')).toHaveText('$0.015')

    // Narrow everything to the tool: totals, charts and latency are its own.
    await toolRow.getByRole('button', { name: 'Aider' }).click()
    await expect(page.getByRole('list', { name: 'Filters' })).toContainText('Aider')
    await expect(page.getByTestId('stat-requests')).toContainText('3')
    await expect(page.getByTestId('stat-cost')).toContainText('$0.015')
    await expect(page.getByTestId('stat-cost')).toContainText('all requests priced')
    await expect(page.getByTestId('stat-tokens')).toContainText('12')
    for (const id of ['chart-requests', 'chart-tokens', 'chart-cost']) {
      await expect(page.getByTestId(id).locator('canvas').first()).toBeVisible()
    }
    // Latency is per provider and model: the tool filter does not narrow it (other specs' requests count).
    const lat = page.getByTestId('latency-table').locator(`tr[data-model="${CONFIG_PROVIDER.id}/m1"]`)
    await expect(lat).toContainText(/\d+ ms/)
    expect(Number(await lat.locator('td').first().textContent())).toBeGreaterThanOrEqual(3)
    await expect(page.getByText('only the provider and model filters apply here')).toBeVisible()

    // The API agrees, and the page fits 800 px without sideways scrolling.
    const now = Date.now()
    const api = await context.request.get(`${base}/api/analytics?from=${now - 3_600_000}&to=${now + 60_000}&tool=aider`)
    expect(api.status()).toBe(200)
    const rep = (await api.json()) as { totals: { requests: number; tokensIn: number; tokensOut: number; costUsd: number } }
    expect(rep.totals).toMatchObject({ requests: 3, tokensIn: 9, tokensOut: 3 })
    expect(rep.totals.costUsd).toBeCloseTo(0.015, 9)
    // At 800 px every card fits the window (wide tables scroll inside
    // theirs) and each chart fits its card.
    const fit = await page.evaluate(() => {
      const w = document.documentElement.clientWidth
      const cards = [...document.querySelectorAll('.page > .card, .page > .stats')].map((e) => e.getBoundingClientRect().right)
      const charts = [...document.querySelectorAll('figure.chart')].map((f) => {
        const c = f.querySelector('canvas')!.getBoundingClientRect()
        return c.right - f.getBoundingClientRect().right
      })
      return { w, cards: Math.max(...cards), charts: Math.max(...charts), n: charts.length }
    })
    expect(fit.n).toBe(3)
    expect(fit.cards).toBeLessThanOrEqual(fit.w)
    expect(fit.charts).toBeLessThanOrEqual(1)
  })

  test('Settings shows the database size and the retention', async () => {
    // at 800 px the sidebar is folded behind the Menu button
    await page.getByRole('button', { name: 'Menu', exact: true }).click()
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click()
    const panel = page.getByTestId('request-log-panel')
    await expect(panel.getByTestId('db-file-size')).toContainText(/\d+(\.\d)? (KiB|MiB)/)
    await expect(panel.getByTestId('db-rows')).not.toHaveText(/^0 /)
    await expect(panel.getByTestId('retention-days')).toHaveValue('30')
    await panel.getByTestId('retention-days').fill('14')
    await panel.getByRole('button', { name: 'Save' }).click()
    await expect(panel.getByRole('status')).toHaveText('Saved')
    const st = (await (await context.request.get(`${base}/api/storage`)).json()) as { retention: { days: number } }
    expect(st.retention.days).toBe(14)
  })
})
