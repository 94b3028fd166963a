import { expect, test, type APIRequestContext, type BrowserContext, type Page } from '@playwright/test'
import { FAKE_MODELS, FAKE_REPLY } from '../fake-upstream'
import { claudeBinaryPath, serverInfo } from '../server'
import { signedInContext } from '../session'

// The fixes of what misled a new user (issue 15), each through the real
// binary: keyless custom providers and the "no usable account" error with
// its fix on Health, editing a provider in place with discovered models,
// the catalog search, the allow-local message, the one-time key secret in a
// dialog, detected CLI tools first, the header theme switch, and the page a
// used login link shows.
//
// (This file sorts after dashboard.spec.ts, which redeems the one-time login link.)

const LAN = 'lan-box'

test.describe.serial('fixes that keep a new user from being misled', () => {
  let context: BrowserContext
  let page: Page
  let base: string
  let upstreamURL: string
  let gatewayKey: string

  test.beforeAll(async ({ browser }) => {
    const info = serverInfo()
    base = info.baseURL
    upstreamURL = info.upstreamURL!
    context = await signedInContext(browser)
    page = await context.newPage()
    const created = await context.request.post(`${base}/api/keys`, { data: { name: 'e2e-fixes' } })
    expect(created.status(), await created.text()).toBe(201)
    gatewayKey = ((await created.json()) as { secret: string }).secret
  })

  test.afterAll(async () => {
    await context?.close()
  })

  const card = (id: string) => page.locator(`[data-testid="provider-card"][data-provider-id="${id}"]`)

  async function chat(request: APIRequestContext, model: string) {
    const res = await request.post(`${base}/v1/chat/completions`, {
      headers: { Authorization: `Bearer ${gatewayKey}`, 'X-Switchboard-No-Cache': 'true' },
      data: { model, messages: [{ role: 'user', content: 'ping' }] },
    })
    return { status: res.status(), body: await res.text() }
  }

  test('a custom provider added through the API without a key gets a keyless account and answers', async ({ request }) => {
    const saved = await context.request.post(`${base}/api/providers`, {
      data: { id: LAN, type: 'openai-compatible', name: '', prefix: LAN, baseUrl: upstreamURL, allowLocal: true, models: ['m1'], disabled: false },
    })
    expect(saved.status(), await saved.text()).toBe(204)
    const r = await chat(request, `${LAN}/m1`)
    expect(r.status, r.body).toBe(200)
    expect(JSON.parse(r.body).choices[0].message.content).toBe(FAKE_REPLY)

    await page.goto(`${base}/#/providers`)
    await expect(card(LAN).locator('[data-testid="account-row"][data-account-name="keyless"]')).toBeVisible()
    // a request worked: no longer "untested"
    await expect(card(LAN).getByTestId('provider-state')).toHaveText('Ready')
  })

  test('without a usable account requests fail as "no usable account" (not a rate limit), Test says so, Health fixes it', async ({
    request,
  }) => {
    const acct = card(LAN).locator('[data-testid="account-row"][data-account-name="keyless"]')
    await card(LAN).getByRole('button', { name: 'Remove account keyless' }).click()
    await card(LAN).getByRole('button', { name: 'Confirm remove account keyless' }).click()
    await expect(acct).toHaveCount(0)
    await expect(card(LAN).getByTestId('provider-unusable')).toContainText('has no account')

    const r = await chat(request, `${LAN}/m1`)
    expect(r.status, r.body).toBe(503)
    expect(JSON.parse(r.body).error.code).toBe('no_usable_account')
    expect(r.body).not.toMatch(/rate/i)
    const msg = await request.post(`${base}/v1/messages`, {
      headers: { 'x-api-key': gatewayKey, 'anthropic-version': '2023-06-01' },
      data: { model: `${LAN}/m1`, max_tokens: 16, messages: [{ role: 'user', content: 'ping' }] },
    })
    expect(msg.status()).toBe(503)
    expect((await msg.json()).error.type).toBe('api_error')

    // the provider's Test does not say OK
    await card(LAN).getByRole('button', { name: `Test ${LAN}` }).click()
    const result = card(LAN).getByTestId('test-result')
    await expect(result).toHaveAttribute('data-ok', 'false')
    await expect(result).toContainText('has no account')
    await expect(card(LAN).getByTestId('provider-state')).toHaveText('Not usable')

    // Health lists it with a one-click fix
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Health' }).click()
    const row = page.locator(`[data-testid="unusable-row"][data-provider="${LAN}"]`)
    await expect(row).toContainText('has no account')
    await row.getByRole('button', { name: `Add a keyless account to ${LAN}` }).click()
    await expect(row).toHaveCount(0)
    const again = await chat(request, `${LAN}/m1`)
    expect(again.status, again.body).toBe(200)
  })

  test('a provider is edited in place with the models its upstream lists', async () => {
    await page.goto(`${base}/#/providers?provider=${LAN}`)
    const c = card(LAN)
    await expect(c).toHaveClass(/focused/)
    await expect(c.getByTestId('provider-models')).toContainText('1 model: m1')
    await c.getByRole('button', { name: `Edit ${LAN}` }).click()
    const form = c.getByRole('form', { name: `Edit ${LAN}` })
    await form.getByLabel('Models', { exact: true }).fill('')
    await form.getByRole('button', { name: `Discover the models of ${LAN}` }).click()
    await expect(form.getByLabel('Models', { exact: true })).toHaveValue(FAKE_MODELS.join(', '))
    await form.getByLabel('Prefix').fill('box')
    await form.getByRole('button', { name: 'Save changes' }).click()
    await expect(form).toHaveCount(0)
    await expect(c.getByTestId('provider-model')).toHaveText(FAKE_MODELS.map((m) => `box/${m}`))

    // account limits in place
    await c.getByRole('button', { name: 'Edit the limits of account keyless' }).click()
    await c.getByTestId('account-limits').getByLabel('RPM').fill('90')
    await c.getByTestId('account-limits').getByRole('button', { name: 'Save limits' }).click()
    await expect(c.getByTestId('account-limits')).toHaveCount(0)
    await expect(c.locator('[data-testid="account-row"][data-account-name="keyless"]')).toContainText('90')
  })

  test('the catalog has a search; the allow-local message names the checkbox', async () => {
    const search = page.getByTestId('catalog-search')
    await search.fill('ollama')
    await expect(page.locator('[data-testid="catalog-entry"][data-provider-id="ollama"]')).toBeVisible()
    await expect(page.locator('[data-testid="catalog-entry"][data-provider-id="openai"]')).toHaveCount(0)
    await search.fill('')
    await expect(page.locator('[data-testid="catalog-entry"][data-provider-id="openai"]')).toBeVisible()

    const form = page.getByRole('form', { name: 'Add a custom provider' })
    await form.getByLabel('ID').fill('no-local')
    await form.getByLabel('Base URL').fill(upstreamURL)
    await form.getByRole('button', { name: 'Discover models' }).click()
    const err = form.getByTestId('discover-error')
    await expect(err).toContainText('tick "Allow local network addresses"')
    await expect(form.getByLabel('Allow local network addresses')).toBeVisible()
    await form.getByLabel('Allow local network addresses').check()
    await form.getByRole('button', { name: 'Discover models' }).click()
    await expect(err).toHaveCount(0)
    await expect(form.getByLabel('Models', { exact: true })).toHaveValue(FAKE_MODELS.join(', '))
    await form.getByLabel('ID').fill('')
    await form.getByLabel('Base URL').fill('')
    await form.getByLabel('Models', { exact: true }).fill('')
  })

  test('a new key’s secret is in a dialog that cannot be missed; an empty name says what to enter', async () => {
    await page.goto(`${base}/#/keys`)
    await page.getByRole('button', { name: 'Create key' }).click()
    await expect(page.getByRole('alert')).toContainText('Give the key a name')
    await page.getByLabel('Key name').fill('fixes-dialog')
    await page.getByRole('button', { name: 'Create key' }).click()
    const dialog = page.getByRole('dialog', { name: /Key “fixes-dialog” created/ })
    await expect(dialog).toBeVisible()
    await expect(dialog.getByTestId('new-key-secret')).toBeFocused()
    // the page behind is inert (a modal dialog), Escape does not close it, Tab stays inside
    expect(await page.evaluate(() => document.querySelector('dialog')!.matches(':modal'))).toBe(true)
    await page.keyboard.press('Escape')
    await expect(dialog).toBeVisible()
    for (let i = 0; i < 4; i++) {
      await page.keyboard.press('Tab')
      expect(await dialog.evaluate((d) => d.contains(document.activeElement))).toBe(true)
    }
    await dialog.getByRole('button', { name: "Done, I've saved it" }).click()
    await expect(dialog).toHaveCount(0)
  })

  test('CLI tools: the detected ones first, the rest folded in one list', async () => {
    await page.goto(`${base}/#/tools`)
    const detected = page.getByTestId('tools-detected')
    const claude = detected.locator('[data-testid="tool-card"][data-tool-id="claude-code"]')
    await expect(claude).toBeVisible()
    await expect(claude.getByTestId('tool-binary')).toHaveText(claudeBinaryPath(serverInfo().homeDir!))
    const others = page.getByTestId('tools-others')
    await expect(others).not.toHaveAttribute('open', '')
    await expect(others.locator('[data-testid="tool-card"]').first()).toBeHidden()
    await expect(others.locator('summary')).toContainText('Not found on this machine')
    await others.locator('summary').click()
    await expect(others.locator('[data-testid="tool-card"]').first()).toBeVisible()
    for (const s of await others.getByTestId('tool-installed').allTextContents()) expect(s).not.toBe('Installed')
  })

  test('the theme switch in the header applies at once and is saved', async () => {
    await page.goto(`${base}/#/`)
    const sw = page.getByRole('radiogroup', { name: 'Theme' })
    await sw.getByLabel('Dark').check()
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark')
    await expect.poll(async () => (await (await context.request.get(`${base}/api/settings`)).json()).theme).toBe('dark')
    await sw.getByLabel('System').check()
    await expect(page.locator('html')).not.toHaveAttribute('data-theme', /./)
    await expect.poll(async () => (await (await context.request.get(`${base}/api/settings`)).json()).theme).toBe('system')
  })

  test('a used login link shows a page that says how to get a new one', async ({ browser }) => {
    const fresh = await browser.newContext()
    const p = await fresh.newPage()
    const res = await p.goto(serverInfo().loginURL)
    expect(res?.status()).toBe(401)
    expect(res?.headers()['content-type']).toMatch(/^text\/html/)
    await expect(p.getByRole('heading', { name: 'This login link does not work any more' })).toBeVisible()
    await expect(p.getByText('To get a new link:')).toBeVisible()
    await fresh.close()
  })
})
