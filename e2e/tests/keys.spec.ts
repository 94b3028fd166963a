import { expect, test, type BrowserContext, type Page } from '@playwright/test'
import { CONFIG_PROVIDER, serverInfo } from '../server'
import { signedInContext } from '../session'

// Per-key policy and the request log, against the real binary: a key with a
// token budget is created on the API keys page, a request over its budget
// gets the OpenAI client's quota error, the page shows the spend against
// the budget, and the Logs page finds the refusal by key and opens its
// detail. The scripted upstream reports 3 + 1 tokens per answer.

const KEY = 'e2e-budget'
const MODEL = `${CONFIG_PROVIDER.prefix}/m1`

test.describe.serial('API key policy', () => {
  let context: BrowserContext
  let page: Page
  let base: string
  let secret: string

  test.beforeAll(async ({ browser }) => {
    base = serverInfo().baseURL
    context = await signedInContext(browser)
    page = await context.newPage()
  })

  test.afterAll(async () => {
    await context?.close()
  })

  const card = () => page.locator(`[data-testid="key-policy"][data-key-name="${KEY}"]`)

  async function chat(content: string) {
    const res = await context.request.post(`${base}/v1/chat/completions`, {
      headers: { Authorization: `Bearer ${secret}`, 'X-Switchboard-No-Cache': 'true' },
      data: { model: MODEL, messages: [{ role: 'user', content }] },
    })
    return { status: res.status(), body: await res.text(), headers: res.headers() }
  }

  test('a key with a budget is created in the UI', async () => {
    await page.goto(`${base}/#/keys`)
    await expect(page.getByRole('heading', { name: 'API keys', level: 1 })).toBeVisible()
    await page.getByLabel('Key name').fill(KEY)
    await page.getByRole('button', { name: 'Create key' }).click()
    secret = await page.getByTestId('new-key-secret').inputValue()
    expect(secret).toMatch(/^sk-sb-/)
    await page.getByRole('button', { name: "Done, I've saved it" }).click()

    await expect(card().getByTestId('key-policy-summary')).toHaveText('No limits')
    await card().getByRole('button', { name: `Edit the policy of ${KEY}` }).click()
    const form = page.getByRole('form', { name: `Policy of ${KEY}` })
    await form.getByLabel('Daily tokens').fill('3')
    await form.getByLabel('Allowed models and combos').fill(`${CONFIG_PROVIDER.prefix}/*`)
    await form.getByRole('button', { name: 'Save policy' }).click()
    await expect(form).toHaveCount(0)
    await expect(card().getByTestId('key-policy-summary')).toHaveText(`models ${CONFIG_PROVIDER.prefix}/* · 3 tokens/day`)
  })

  test('a request over the budget gets the client\'s quota error', async () => {
    const first = await chat('ping')
    expect(first.status, first.body).toBe(200)
    // the answer is debited as its log row is recorded, right after it
    await expect
      .poll(async () => (await chat('again')).status, { timeout: 5000 })
      .toBe(429)
    const over = await chat('once more')
    expect(over.status).toBe(429)
    const err = JSON.parse(over.body).error
    expect(err.type).toBe('insufficient_quota')
    expect(err.message).toContain('budget exceeded')
    expect(over.headers['retry-after']).toBeTruthy()
    expect(over.headers['x-should-retry']).toBe('false')

    const denied = await context.request.post(`${base}/v1/chat/completions`, {
      headers: { Authorization: `Bearer ${secret}` },
      data: { model: 'other/model', messages: [{ role: 'user', content: 'hi' }] },
    })
    expect(denied.status()).toBe(403)
    expect((await denied.json()).error.type).toBe('permission_error')
  })

  test('the page shows the spend against the budget', async () => {
    await page.reload()
    await expect(card().getByTestId('key-usage-today')).toContainText('4 tokens')
    const bar = card().getByTestId('key-budget')
    await expect(bar).toHaveAttribute('data-tone', 'over')
    await expect(bar).toContainText('4 of 3 (133%)')
  })

  test('the Logs page finds the refusal by key and opens its detail', async () => {
    await page.goto(`${base}/#/logs?key=${KEY}&status=429`)
    const rows = page.getByTestId('log-row')
    await expect(rows.first()).toBeVisible()
    await expect(page.getByLabel('Key')).toHaveValue(KEY)
    for (const s of await rows.getByTestId('log-status').allTextContents()) expect(s).toBe('429')
    await rows.first().click()
    const detail = page.getByTestId('log-details')
    await expect(detail.getByTestId('log-error')).toContainText('budget exceeded')
    await expect(detail).toContainText('No upstream was tried')

    // the answered one: its routing step with timing
    await page.getByLabel('Status').selectOption('ok')
    await expect(page).toHaveURL(/#\/logs\?key=e2e-budget&status=ok$/)
    await page.getByTestId('log-row').first().click()
    const step = page.getByTestId('log-details').getByTestId('route-step')
    await expect(step).toHaveAttribute('data-result', 'ok')
    await expect(step.getByTestId('route-step-timing')).toContainText('took')
  })
})
