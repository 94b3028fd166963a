import { expect, test, type BrowserContext, type Page } from '@playwright/test'
import { serverInfo } from '../server'
import { saveSession } from '../session'

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

test.describe.serial('signed in through the one-time login link', () => {
  let context: BrowserContext
  let page: Page
  let base: string

  test.beforeAll(async ({ browser }) => {
    base = serverInfo().baseURL
    context = await browser.newContext()
    page = await context.newPage()
  })

  test.afterAll(async () => {
    await context?.close()
  })

  test('the login link lands on the dashboard, which shows the endpoint', async () => {
    const { loginURL } = serverInfo()
    await page.goto(loginURL)
    // cookie set, redirected to the dashboard root
    await expect(page).toHaveURL(new RegExp(`^${escapeRe(base)}/(#.*)?$`))
    const cookies = await context.cookies(base)
    expect(cookies.length, 'the login link sets a session cookie').toBeGreaterThan(0)
    // the link works once: the other specs sign in with this session
    await saveSession(context)

    await expect(page.getByRole('heading', { name: 'Overview', level: 1 })).toBeVisible()
    await expect(page.getByTestId('endpoint')).toHaveText(base)
    await expect(page.getByTestId('base-url-openai')).toContainText(`${base}/v1`)
    await expect(page.getByTestId('base-url-anthropic')).toContainText(base)
    await expect(page.getByTestId('base-url-gemini').locator('code')).toHaveText(base)
    await expect(page.getByTestId('status-mode')).toHaveText('Headless')
    await expect(page.getByTestId('status-version')).not.toBeEmpty()
    await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link')).toHaveText([
      'Overview',
      'Providers',
      'Limits',
      'Combos',
      'CLI Tools',
      'API keys',
      'Health',
      'Analytics',
      'Logs',
      'Playground',
      'Setup',
      'Settings',
    ])
  })

  test('a key created in the UI opens the gateway, and revoking it closes it again', async ({ request }) => {
    const models = `${base}/v1/models`
    await expect(page.getByTestId('keys-panel')).toBeVisible()

    await page.getByLabel('Key name').fill('e2e')
    await page.getByRole('button', { name: 'Create key' }).click()

    const secretBox = page.getByTestId('new-key-secret')
    await expect(secretBox).toBeVisible()
    await expect(page.getByTestId('new-key')).toContainText("you won't see it again")
    await expect(page.getByRole('button', { name: 'Copy secret' })).toBeVisible()
    const secret = await secretBox.inputValue()
    expect(secret).toMatch(/^sk-sb-\S+$/)

    const row = page.locator('[data-testid="key-row"][data-key-name="e2e"]')
    await expect(row).toHaveCount(1)
    await expect(row).toContainText(secret.slice(-4))
    await expect(page.getByTestId('status-keys')).not.toHaveText('0')

    const withKey = await request.get(models, { headers: { Authorization: `Bearer ${secret}` } })
    expect(withKey.status(), await withKey.text()).toBe(200)
    const noKey = await request.get(models)
    expect(noKey.status()).toBe(401)
    const wrongKey = await request.get(models, { headers: { Authorization: `Bearer ${secret}x` } })
    expect(wrongKey.status()).toBe(401)

    // the secret is shown once
    await page.getByRole('button', { name: /Done/ }).click()
    await expect(secretBox).toHaveCount(0)
    await page.reload()
    await expect(row).toHaveCount(1)
    await expect(page.getByTestId('new-key-secret')).toHaveCount(0)
    await expect(page.getByText(secret)).toHaveCount(0)

    // revoke (with confirmation)
    await page.getByRole('button', { name: 'Revoke e2e' }).click()
    await page.getByRole('button', { name: 'Confirm revoke e2e' }).click()
    await expect(row).toHaveCount(0)

    const afterRevoke = await request.get(models, { headers: { Authorization: `Bearer ${secret}` } })
    expect(afterRevoke.status()).toBe(401)
  })

  test('settings are saved by the backend', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click()
    await expect(page).toHaveURL(/#\/settings$/)
    const box = page.getByLabel('Log request bodies')
    await expect(box).not.toBeChecked()
    const cache = page.getByLabel('Response cache')
    await expect(cache).not.toBeChecked()
    await expect(page.locator('#response-cache-help')).toContainText('X-Switchboard-No-Cache: true')
    await box.check()
    await cache.check()
    await page.getByLabel('Dark').check()
    await page.getByRole('button', { name: 'Save settings' }).click()
    await expect(page.getByRole('status').filter({ hasText: 'Saved' })).toBeVisible()
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark')

    await page.reload()
    await expect(page.getByLabel('Log request bodies')).toBeChecked()
    await expect(page.getByLabel('Response cache')).toBeChecked()
    await expect(page.getByLabel('Dark')).toBeChecked()
    // the backend holds exactly what the page sent, and keeps the quota reserve it did not send (the default, 0)
    const saved = await (await context.request.get(`${base}/api/settings`)).json()
    expect(saved).toEqual({ logRequestBodies: true, responseCache: true, theme: 'dark', quotaReservePercent: 0 })

    // put it back
    await page.getByLabel('Log request bodies').uncheck()
    await page.getByLabel('Response cache').uncheck()
    await page.getByLabel('System').check()
    await page.getByRole('button', { name: 'Save settings' }).click()
    await expect(page.getByRole('status').filter({ hasText: 'Saved' })).toBeVisible()
  })

  test('the login link works only once', async ({ browser }) => {
    const other = await browser.newContext()
    const p = await other.newPage()
    await p.goto(serverInfo().loginURL)
    await p.goto(`${base}/`)
    await expect(p.getByTestId('login-required')).toBeVisible()
    await other.close()
  })
})

test.describe('not signed in', () => {
  test('the dashboard asks to open the login link from the terminal', async ({ page, request }) => {
    const base = serverInfo().baseURL
    await page.goto(`${base}/`)
    const gate = page.getByTestId('login-required')
    await expect(gate).toBeVisible()
    await expect(page.getByRole('heading', { name: 'Open the login link from the terminal' })).toBeVisible()
    await expect(gate).toContainText('/login?token=')
    await expect(page.getByRole('navigation')).toHaveCount(0)
    await expect(page.getByLabel(/password/i)).toHaveCount(0)

    const status = await request.get(`${base}/api/status`)
    expect(status.status()).toBe(401)
  })

  test('a forged login token does not sign in', async ({ page }) => {
    const base = serverInfo().baseURL
    await page.goto(`${base}/login?token=not-a-real-token`)
    await page.goto(`${base}/`)
    await expect(page.getByTestId('login-required')).toBeVisible()
  })
})
