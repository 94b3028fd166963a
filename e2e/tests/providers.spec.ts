import { expect, test, type BrowserContext, type Page } from '@playwright/test'
import { FAKE_REPLY } from '../fake-upstream'
import { CONFIG_PROVIDER, serverInfo } from '../server'
import { signedInContext } from '../session'

// Global setup runs a scripted OpenAI-compatible upstream and starts Switchboard
// with a config file that declares one provider on it (read-only here). These
// tests add a second one through the dashboard, send a real request through the
// gateway to it, and find that request in the log.

const DUMMY_KEY = 'sk-dummy-upstream-key-e2e-9f3c'
const DUMMY_LAST4 = DUMMY_KEY.slice(-4)

test.describe.serial('providers, the gateway and the request log', () => {
  let context: BrowserContext
  let page: Page
  let base: string
  let upstreamURL: string

  test.beforeAll(async ({ browser }) => {
    const info = serverInfo()
    base = info.baseURL
    expect(info.upstreamURL, 'global setup records the fake upstream').toBeTruthy()
    upstreamURL = info.upstreamURL!
    context = await signedInContext(browser)
    page = await context.newPage()
  })

  test.afterAll(async () => {
    await context?.close()
  })

  const card = (id: string) => page.locator(`[data-testid="provider-card"][data-provider-id="${id}"]`)

  test('a provider from the config file is listed read-only, with its key masked', async () => {
    await page.goto(`${base}/#/providers`)
    await expect(page.getByRole('heading', { name: 'Providers', level: 1 })).toBeVisible()

    const cfg = card(CONFIG_PROVIDER.id)
    await expect(cfg).toBeVisible()
    await expect(cfg.getByTestId('provider-source')).toHaveText('Config file')
    await expect(cfg.getByTestId('config-note')).toContainText('config file')
    const row = cfg.locator(`[data-testid="account-row"][data-account-name="${CONFIG_PROVIDER.account}"]`)
    await expect(row.getByTestId('account-key')).toHaveText(`…${CONFIG_PROVIDER.last4}`)
    await expect(row).toContainText('defined in the config file')
    await expect(cfg.getByRole('button', { name: /^(Remove|Disable|Enable)/ })).toHaveCount(0)
    await expect(cfg.getByRole('button', { name: /^Add account/ })).toHaveCount(0)

    // the catalog is grouped by tier and every entry can take an account
    const catalog = page.getByTestId('catalog')
    await expect(catalog.getByTestId('catalog-tier').first()).toBeVisible()
    await expect(catalog.locator('[data-testid="catalog-entry"][data-provider-id="openai"]')).toBeVisible()
    await expect(catalog.getByRole('button', { name: 'Add account for OpenAI' })).toBeVisible()
  })

  test('a custom provider gets an account (key shown only masked) and its test passes', async () => {
    await page.goto(`${base}/#/providers`)
    const form = page.getByRole('form', { name: 'Add a custom provider' })
    await form.getByLabel('ID').fill('fake')
    await form.getByLabel('Type').selectOption('openai-compatible')
    await form.getByLabel('Base URL').fill(upstreamURL)
    await form.getByLabel('Prefix').fill('fake')
    await form.getByLabel('Models').fill('m1')
    await form.getByLabel(/Allow local/).check()
    await form.getByRole('button', { name: 'Add provider' }).click()
    await expect(form.getByRole('alert')).toHaveCount(0)

    const fake = card('fake')
    await expect(fake).toBeVisible()
    await expect(fake.getByTestId('provider-source')).toHaveText('Added here')
    await expect(form.getByLabel('ID')).toHaveValue('')
    // added without a key: it got a keyless account, so it routes; nothing has worked yet
    const keyless = fake.locator('[data-testid="account-row"][data-account-name="keyless"]')
    await expect(keyless.getByTestId('account-keyless')).toHaveText('keyless')
    await expect(fake.getByTestId('provider-state')).toHaveText('Untested')

    await fake.getByRole('button', { name: 'Add account to fake' }).click()
    const accountForm = fake.getByTestId('account-form')
    await accountForm.getByLabel('Account name').fill('dummy')
    const keyInput = accountForm.getByLabel('API key')
    await expect(keyInput).toHaveAttribute('type', 'password')
    await keyInput.fill(DUMMY_KEY)
    await accountForm.getByRole('button', { name: 'Add account' }).click()

    const row = fake.locator('[data-testid="account-row"][data-account-name="dummy"]')
    await expect(row).toBeVisible()
    await expect(row.getByTestId('account-key')).toHaveText(`…${DUMMY_LAST4}`)
    await expect(fake.getByTestId('account-form')).toHaveCount(0)
    // the key replaced the keyless account
    await expect(keyless).toHaveCount(0)
    await expect(fake.getByTestId('provider-state')).toHaveText('Untested')
    // the key never comes back unmasked, not even in an input
    await expect(page.getByText(DUMMY_KEY)).toHaveCount(0)
    expect(await page.locator('input').evaluateAll((els, k) => els.some((e) => (e as HTMLInputElement).value === k), DUMMY_KEY)).toBe(false)
    await page.reload()
    await expect(row.getByTestId('account-key')).toHaveText(`…${DUMMY_LAST4}`)
    await expect(page.getByText(DUMMY_KEY)).toHaveCount(0)

    await fake.getByRole('button', { name: 'Test fake' }).click()
    const result = row.getByTestId('test-result')
    await expect(result).toHaveAttribute('data-ok', 'true')
    await expect(result).toHaveText(/^OK · (<1 ms|\d+(\.\d+)? m?s)$/)
    await expect(fake.getByTestId('provider-state')).toHaveText('Ready')

    // the upstream saw the test with the account's key
    const seen = (await (await context.request.get(`${new URL(upstreamURL).origin}/__requests`)).json()) as {
      path: string
      authorization: string
    }[]
    expect(seen.some((r) => r.path === '/v1/models' && r.authorization === `Bearer ${DUMMY_KEY}`)).toBe(true)
  })

  test('a request for fake/m1 goes through the gateway and shows up in the log with its route', async () => {
    // a gateway key, made through the management API with the dashboard's session
    const created = await context.request.post(`${base}/api/keys`, { data: { name: 'e2e-gateway' } })
    expect(created.status(), await created.text()).toBe(201)
    const { secret } = (await created.json()) as { secret: string }

    const chat = await context.request.post(`${base}/v1/chat/completions`, {
      headers: { Authorization: `Bearer ${secret}` },
      data: { model: 'fake/m1', messages: [{ role: 'user', content: 'ping' }] },
    })
    const text = await chat.text()
    expect(chat.status(), text).toBe(200)
    expect(JSON.parse(text).choices[0].message.content).toBe(FAKE_REPLY)

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Logs' }).click()
    await expect(page).toHaveURL(/#\/logs$/)
    await expect(page.getByRole('heading', { name: 'Logs', level: 1 })).toBeVisible()
    // rows are written in batches: let the page poll
    await page.getByLabel(/Auto-refresh/).check()

    const row = page.locator('[data-testid="log-row"][data-provider="fake"]').first()
    await expect(row).toBeVisible({ timeout: 20_000 })
    await page.getByLabel(/Auto-refresh/).uncheck()
    await expect(row.getByTestId('log-status')).toHaveText('200')
    await expect(row).toContainText('fake/m1')
    await expect(row).toContainText('e2e-gateway')

    // filter by provider (a picker: it applies at once)
    await page.getByLabel('Provider', { exact: true }).selectOption('fake')
    await expect(page).toHaveURL(/#\/logs\?provider=fake$/)
    await expect(page.locator('[data-testid="log-row"]').first()).toBeVisible()
    const providers = await page.locator('[data-testid="log-row"]').evaluateAll((rows) =>
      rows.map((r) => r.getAttribute('data-provider')),
    )
    expect(new Set(providers)).toEqual(new Set(['fake']))

    // expand: the routing decisions
    await row.click()
    const details = page.getByTestId('log-details').first()
    await expect(details).toBeVisible()
    const step = details.getByTestId('route-step').first()
    await expect(step).toHaveAttribute('data-result', 'ok')
    await expect(step).toContainText('fake/m1')
    await expect(step).toContainText('with account dummy')
    await expect(step).toContainText('answered')
    await row.click()
    await expect(page.getByTestId('log-details')).toHaveCount(0)
  })
})
