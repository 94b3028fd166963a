import { expect, test, type BrowserContext, type Locator, type Page } from '@playwright/test'
import { FAKE_REPLY, METERED_MODEL } from '../fake-upstream'
import { CONFIG_PROVIDER, serverInfo } from '../server'
import { signedInContext } from '../session'

// Quota windows against the real binary. The scripted upstream answers the model
// METERED_MODEL with OpenAI's rate-limit headers (280 of 1000 requests left for
// 1h12m, 90,000 of 100,000 tokens for 30 minutes). One request through the
// gateway to the config file's provider (an API key: no usage endpoint) must put
// those windows on the Limits page, which is already open and updates by itself,
// and on the Overview's Limits card; Refresh answers the documented 400.
//
// (This file sorts after dashboard.spec.ts, which redeems the one-time login link.)

const NO_ENDPOINT = 'this account has no usage endpoint; its figures come from the rate-limit headers of its answers'

interface QuotaWindow {
  name: string
  percent: number
  remaining?: number
  limit?: number
  resetAt?: string
  source: string
  observedAt: string
}
interface QuotaAccount {
  accountId: string
  provider: string
  account: string
  state: string
  tightest?: QuotaWindow
  windows: QuotaWindow[]
  polled: boolean
}

test.describe.serial('limits', () => {
  let context: BrowserContext
  let page: Page
  let base: string
  let secret: string

  test.beforeAll(async ({ browser }) => {
    const info = serverInfo()
    base = info.baseURL
    context = await signedInContext(browser)
    page = await context.newPage()
    const created = await context.request.post(`${base}/api/keys`, { data: { name: 'e2e-limits' } })
    expect(created.status(), await created.text()).toBe(201)
    secret = ((await created.json()) as { secret: string }).secret
  })

  test.afterAll(async () => {
    await context?.close()
  })

  const account = (): Locator =>
    page.locator(`[data-testid="limits-account"][data-provider="${CONFIG_PROVIDER.id}"][data-account="${CONFIG_PROVIDER.account}"]`)
  const win = (name: string): Locator => account().locator(`[data-testid="limits-window"][data-window="${name}"]`)

  async function quotaOf(): Promise<QuotaAccount> {
    const res = await context.request.get(`${base}/api/quota`)
    expect(res.status()).toBe(200)
    const { accounts } = (await res.json()) as { accounts: QuotaAccount[] }
    const a = accounts.find((x) => x.provider === CONFIG_PROVIDER.id && x.account === CONFIG_PROVIDER.account)
    expect(a, 'the config account is listed').toBeTruthy()
    return a!
  }

  test("an answer's rate-limit headers show on the open Limits page: bars, percent, counts, reset, source, freshness", async () => {
    await page.goto(`${base}/#/`)
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Limits' }).click()
    await expect(page).toHaveURL(/#\/limits$/)
    await expect(page.getByRole('heading', { name: 'Limits', level: 1 })).toBeVisible()
    await expect(account()).toBeVisible()
    await expect(account().getByTestId('limits-origin')).toContainText('no usage endpoint')
    await expect(win('requests')).toHaveCount(0) // nothing known of it yet

    const chat = await context.request.post(`${base}/v1/chat/completions`, {
      headers: { Authorization: `Bearer ${secret}`, 'X-Switchboard-No-Cache': 'true' },
      data: { model: `${CONFIG_PROVIDER.prefix}/${METERED_MODEL}`, messages: [{ role: 'user', content: 'how much is left?' }] },
    })
    const text = await chat.text()
    expect(chat.status(), text).toBe(200)
    expect(JSON.parse(text).choices[0].message.content).toBe(FAKE_REPLY)
    const sentAt = Date.now()

    // no reload: the pushed status carries a new quotaRev and the page re-reads
    const requests = win('requests')
    await expect(requests).toBeVisible({ timeout: 10_000 })
    const bar = requests.getByRole('meter', { name: 'Requests used' })
    await expect(bar).toHaveAttribute('aria-valuenow', '72')
    await expect(bar.locator('.fill')).toHaveAttribute('style', /width: 72%/)
    await expect(requests.getByTestId('window-percent')).toHaveText('72% used')
    await expect(requests.getByTestId('window-counts')).toHaveText('280 / 1,000 left')
    await expect(requests.getByTestId('window-reset')).toHaveText(/^resets in 1h 1[12]m$/)
    await expect(requests.getByTestId('window-source')).toHaveText('headers')
    await expect(requests.getByTestId('window-fresh')).toHaveText(/^updated (just now|1 minute ago)$/)
    const tokens = win('tokens')
    await expect(tokens.getByRole('meter')).toHaveAttribute('aria-valuenow', '10')
    await expect(tokens.getByTestId('window-percent')).toHaveText('10% used')
    await expect(tokens.getByTestId('window-counts')).toHaveText('90,000 / 100,000 left')
    await expect(tokens.getByTestId('window-reset')).toHaveText(/^resets in (29|30)m \d\ds$/)
    await expect(account().getByTestId('limits-state')).toHaveText('OK')

    // the countdown runs: a few seconds later it reads less
    const first = await tokens.getByTestId('window-reset').textContent()
    await expect(tokens.getByTestId('window-reset')).not.toHaveText(first!, { timeout: 5_000 })

    // the same figures over the API, with the reset the headers gave
    const a = await quotaOf()
    const w = a.windows.find((x) => x.name === 'requests')!
    expect(w).toMatchObject({ percent: 72, remaining: 280, limit: 1000, source: 'headers' })
    const resetIn = Date.parse(w.resetAt!) - sentAt
    expect(resetIn).toBeGreaterThan(71 * 60_000)
    expect(resetIn).toBeLessThanOrEqual(72 * 60_000 + 5_000)
    expect(a.tightest?.name).toBe('requests')
    expect(a.polled).toBe(false)
  })

  test('Refresh on an API-key account shows the documented 400 message', async () => {
    const button = account().getByRole('button', { name: /^Refresh / })
    await expect(button).toBeEnabled()
    const answer = page.waitForResponse((r) => r.request().method() === 'POST' && /\/api\/quota\/[^/]+\/refresh$/.test(r.url()))
    await button.click()
    const res = await answer
    expect(res.status()).toBe(400)
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe(NO_ENDPOINT)
    await expect(account().getByRole('alert')).toHaveText(`Could not refresh: ${NO_ENDPOINT}`)
    await expect(button).toBeEnabled()
    // the figures stay
    await expect(win('requests').getByTestId('window-percent')).toHaveText('72% used')
  })

  test("the Overview's Limits card shows the account's tightest window and links to the Limits page", async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Overview' }).click()
    const card = page.getByTestId('limits-card')
    await expect(card).toBeVisible()
    const row = card.locator(`[data-testid="limits-card-row"][data-provider="${CONFIG_PROVIDER.id}"][data-account="${CONFIG_PROVIDER.account}"]`)
    await expect(row.getByTestId('limits-card-percent')).toHaveText('72%')
    await expect(row.getByRole('meter')).toHaveAttribute('aria-valuenow', '72')
    await expect(row.getByTestId('limits-card-reset')).toHaveText(/^resets in 1h 1[12]m$/)
    await card.getByTestId('limits-card-link').click()
    await expect(page).toHaveURL(/#\/limits$/)
    await expect(page.getByRole('heading', { name: 'Limits', level: 1 })).toBeVisible()
  })
})
