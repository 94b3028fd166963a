import { expect, test, type APIRequestContext, type BrowserContext, type Locator, type Page } from '@playwright/test'
import { FAKE_REPLY, RATE_LIMITED_MODEL } from '../fake-upstream'
import { CONFIG_COMBO, CONFIG_PROVIDER, serverInfo } from '../server'
import { signedInContext } from '../session'

// Combos and routing health against the real binary. Global setup's config file
// declares a provider on the scripted upstream (prefix `fakecfg`, account `ops`)
// and a read-only combo on it. The upstream answers every chat completion with
// "pong", except for the model RATE_LIMITED_MODEL, which is always rate limited
// (429, Retry-After: 60): a combo target on it cools down for a minute.
//
// (This file sorts after dashboard.spec.ts, which redeems the one-time login link.)

const COMBO = 'e2e-combo'
const GOOD = `${CONFIG_PROVIDER.prefix}/m1`
const LIMITED = `${CONFIG_PROVIDER.prefix}/${RATE_LIMITED_MODEL}`
const CLOCK = /\d\d:\d\d:\d\d/

test.describe.serial('combos and routing health', () => {
  let context: BrowserContext
  let page: Page
  let base: string
  let upstreamOrigin: string
  let secret: string

  test.beforeAll(async ({ browser }) => {
    const info = serverInfo()
    base = info.baseURL
    expect(info.upstreamURL, 'global setup records the fake upstream').toBeTruthy()
    upstreamOrigin = new URL(info.upstreamURL!).origin
    context = await signedInContext(browser)
    page = await context.newPage()
    // a gateway key, made through the management API with the dashboard's session
    const created = await context.request.post(`${base}/api/keys`, { data: { name: 'e2e-routing' } })
    expect(created.status(), await created.text()).toBe(201)
    secret = ((await created.json()) as { secret: string }).secret
  })

  test.afterAll(async () => {
    await context?.close()
  })

  const card = (name: string) => page.locator(`[data-testid="combo-card"][data-combo-name="${name}"]`)
  const target = (combo: string, model: string) =>
    card(combo).locator(`[data-testid="combo-target"][data-model="${model}"]`)
  const nav = (label: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label })

  /** how many chat completions the upstream got for a model */
  async function upstreamCalls(request: APIRequestContext, model: string): Promise<number> {
    const seen = (await (await request.get(`${upstreamOrigin}/__requests`)).json()) as { path: string; model?: string }[]
    return seen.filter((r) => r.path === '/v1/chat/completions' && r.model === model).length
  }

  async function chat(model: string, content: string) {
    const res = await context.request.post(`${base}/v1/chat/completions`, {
      // a cache (if someone turned it on) must not answer in the upstream's stead
      headers: { Authorization: `Bearer ${secret}`, 'X-Switchboard-No-Cache': 'true' },
      data: { model, messages: [{ role: 'user', content }] },
    })
    const text = await res.text()
    return { status: res.status(), text }
  }

  async function modelInputs(editor: Locator): Promise<string[]> {
    return editor
      .getByTestId('target-row')
      .evaluateAll((rows) => rows.map((r) => (r.querySelector('input[list]') as HTMLInputElement).value))
  }

  test('a combo from the config file is listed read-only', async () => {
    await page.goto(`${base}/#/combos`)
    await expect(page.getByRole('heading', { name: 'Combos', level: 1 })).toBeVisible()
    const cfg = card(CONFIG_COMBO.name)
    await expect(cfg).toBeVisible()
    await expect(cfg.getByTestId('combo-source')).toHaveText('Config file')
    await expect(cfg.getByTestId('config-note')).toContainText('config file')
    await expect(cfg.getByTestId('combo-strategy')).toContainText('Fill first')
    await expect(cfg.getByTestId('combo-budget')).toHaveText('45 s budget')
    await expect(cfg.getByRole('button')).toHaveCount(0)
    await expect(target(CONFIG_COMBO.name, CONFIG_COMBO.target).getByTestId('target-state')).toHaveText('OK')
  })

  test('a combo made in the UI, with targets reordered by drag, answers a request', async ({ request }) => {
    await page.goto(`${base}/#/combos`)
    await page.getByRole('button', { name: 'New combo' }).click()
    const editor = page.getByTestId('combo-editor')
    await expect(editor.getByRole('heading', { name: 'New combo' })).toBeVisible()
    await editor.getByLabel('Name', { exact: true }).fill(COMBO)

    // the strategy select explains each choice; sticky only for round-robin
    const strategy = editor.getByLabel('Strategy', { exact: true })
    await expect(strategy).toHaveValue('priority')
    await expect(editor.getByTestId('strategy-hint')).toContainText('in order')
    await strategy.selectOption('round-robin')
    await expect(editor.getByTestId('strategy-hint')).toContainText('Takes turns')
    await expect(editor.getByLabel('Sticky requests')).toBeVisible()
    await strategy.selectOption('priority')
    await expect(editor.getByLabel('Sticky requests')).toHaveCount(0)

    // the picker offers the config provider's model (and combos, which can nest)
    const picker = page.getByTestId('combo-models')
    await expect(picker.locator(`option[value="${GOOD}"]`)).toHaveCount(1)
    await expect(picker.locator(`option[value="${CONFIG_COMBO.name}"]`)).toHaveCount(1)

    // a custom model first, the config provider's model second
    await editor.getByLabel('Model of target 1', { exact: true }).fill(LIMITED)
    await editor.getByRole('button', { name: 'Add target' }).click()
    await editor.getByLabel('Model of target 2', { exact: true }).fill(GOOD)
    await expect.poll(() => modelInputs(editor)).toEqual([LIMITED, GOOD])

    // drag the second row by its handle onto the first
    const rows = editor.getByTestId('target-row')
    await rows.nth(1).getByTestId('drag-handle').dragTo(rows.nth(0).getByTestId('drag-handle'))
    await expect.poll(() => modelInputs(editor)).toEqual([GOOD, LIMITED])

    await editor.getByRole('button', { name: 'Create combo' }).click()
    await expect(editor).toHaveCount(0)
    const combo = card(COMBO)
    await expect(combo).toBeVisible()
    await expect(combo.getByTestId('combo-source')).toHaveText('Added here')
    await expect(combo.getByTestId('combo-strategy')).toContainText('Priority')
    await expect(combo.getByTestId('combo-target')).toHaveCount(2)
    expect(await combo.getByTestId('combo-target').evaluateAll((els) => els.map((e) => e.getAttribute('data-model')))).toEqual([
      GOOD,
      LIMITED,
    ])
    await expect(target(COMBO, GOOD).getByTestId('target-state')).toHaveText('OK')
    await expect(target(COMBO, LIMITED).getByTestId('target-state')).toHaveText('OK')

    // the backend stored that order
    const listed = (await (await context.request.get(`${base}/api/combos`)).json()) as { name: string; targets: { model: string }[] }[]
    expect(listed.find((c) => c.name === COMBO)?.targets.map((t) => t.model)).toEqual([GOOD, LIMITED])

    // the combo's name is a model: the first target answers
    const limitedBefore = await upstreamCalls(request, RATE_LIMITED_MODEL)
    const m1Before = await upstreamCalls(request, 'm1')
    const res = await chat(COMBO, 'ping through the combo')
    expect(res.status, res.text).toBe(200)
    expect(JSON.parse(res.text).choices[0].message.content).toBe(FAKE_REPLY)
    expect(await upstreamCalls(request, 'm1')).toBe(m1Before + 1)
    expect(await upstreamCalls(request, RATE_LIMITED_MODEL)).toBe(limitedBefore)
  })

  test('a target that answers 429 cools down: seen on Combos and Health, gone after "Reset all"', async ({ request }) => {
    await page.goto(`${base}/#/combos`)
    // put the rate-limited target first, with the keyboard-accessible buttons
    await card(COMBO).getByRole('button', { name: `Edit combo ${COMBO}` }).click()
    const editor = page.getByTestId('combo-editor')
    await expect(editor.getByLabel('Name', { exact: true })).toHaveValue(COMBO)
    await expect(editor.getByLabel('Name', { exact: true })).not.toBeEditable()
    await editor.getByRole('button', { name: `Move ${LIMITED} up` }).click()
    await expect.poll(() => modelInputs(editor)).toEqual([LIMITED, GOOD])
    await expect(editor.getByRole('button', { name: `Move ${LIMITED} up` })).toBeDisabled()
    await editor.getByRole('button', { name: 'Save combo' }).click()
    await expect(editor).toHaveCount(0)
    expect(await card(COMBO).getByTestId('combo-target').evaluateAll((els) => els.map((e) => e.getAttribute('data-model')))).toEqual([
      LIMITED,
      GOOD,
    ])

    // the first target is rate limited: the request falls back to the second one
    const limitedBefore = await upstreamCalls(request, RATE_LIMITED_MODEL)
    const res = await chat(COMBO, 'ping while the first target is rate limited')
    expect(res.status, res.text).toBe(200)
    expect(JSON.parse(res.text).choices[0].message.content).toBe(FAKE_REPLY)
    expect(await upstreamCalls(request, RATE_LIMITED_MODEL)).toBe(limitedBefore + 1)

    // Combos: the live state (refreshed every 3 s) shows the rest
    const chip = target(COMBO, LIMITED).getByTestId('target-state')
    await expect(chip).toHaveAttribute('data-state', 'cooling', { timeout: 15_000 })
    await expect(chip).toHaveText(new RegExp(`^Cooling until ${CLOCK.source}$`))
    await expect(target(COMBO, LIMITED).getByTestId('target-note')).toHaveText('Rate limited')
    await expect(target(COMBO, GOOD).getByTestId('target-state')).toHaveText('OK')

    // Health: the resting account, a countdown, and the event in words
    await nav('Health').click()
    await expect(page).toHaveURL(/#\/health$/)
    await expect(page.getByRole('heading', { name: 'Health', level: 1 })).toBeVisible()
    const row = page.locator(
      `[data-testid="cooldown-row"][data-provider="${CONFIG_PROVIDER.id}"][data-account="${CONFIG_PROVIDER.account}"][data-model="${RATE_LIMITED_MODEL}"]`,
    )
    await expect(row).toBeVisible()
    await expect(row).toContainText('Rate limited')
    await expect(row.getByTestId('cooldown-left')).toHaveText(/^(\d{1,2}s|1m 0\ds)$/)
    await expect(row).toContainText(new RegExp(`until ${CLOCK.source}`))
    await expect(page.locator(`[data-testid="breaker-row"][data-provider="${CONFIG_PROVIDER.id}"]`)).toBeVisible()
    const event = page
      .getByTestId('event-text')
      .filter({ hasText: `${CONFIG_PROVIDER.id}/${CONFIG_PROVIDER.account} is cooling down for ${RATE_LIMITED_MODEL} until` })
    await expect(event.first()).toBeVisible({ timeout: 15_000 })

    // reset all (after confirming)
    await page.getByRole('button', { name: 'Reset all cooldowns' }).click()
    await expect(row).toBeVisible()
    await page.getByRole('button', { name: 'Confirm reset all cooldowns' }).click()
    await expect(row).toHaveCount(0)
    await expect(page.getByTestId('cooldowns-empty')).toBeVisible()
    const health = (await (await context.request.get(`${base}/api/health`)).json()) as { cooldowns: unknown[] }
    expect(health.cooldowns).toEqual([])

    // and the combo's target is usable again
    await nav('Combos').click()
    await expect(target(COMBO, LIMITED).getByTestId('target-state')).toHaveText('OK')
  })

  test('a stored combo is deleted after confirming', async () => {
    await page.goto(`${base}/#/combos`)
    await card(COMBO).getByRole('button', { name: `Delete combo ${COMBO}` }).click()
    await expect(card(COMBO)).toBeVisible()
    await page.getByRole('button', { name: `Confirm delete combo ${COMBO}` }).click()
    await expect(card(COMBO)).toHaveCount(0)
    await expect(card(CONFIG_COMBO.name)).toBeVisible()
    const listed = (await (await context.request.get(`${base}/api/combos`)).json()) as { name: string }[]
    expect(listed.map((c) => c.name)).not.toContain(COMBO)
    const res = await chat(COMBO, 'ping a deleted combo')
    expect(res.status, res.text).not.toBe(200)
  })
})
