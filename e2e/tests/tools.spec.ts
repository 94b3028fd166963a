import fs from 'node:fs'
import { expect, test, type BrowserContext, type Locator, type Page } from '@playwright/test'
import { FAKE_REPLY } from '../fake-upstream'
import { CLAUDE_SETTINGS_SEED, claudeSettingsPath, CONFIG_COMBO, CONFIG_PROVIDER, serverInfo } from '../server'
import { signedInContext } from '../session'

// The CLI Tools page against the real binary, which runs with a temporary HOME
// (global setup) holding a realistic ~/.claude/settings.json. Claude Code is
// pointed at Switchboard through the page, the file on disk is checked (the
// user's comments, hooks, status line and permissions stay; our env keys are
// there and the key works), and Undo puts the file back byte for byte.
//
// (This file sorts after dashboard.spec.ts, which redeems the one-time login link.)

const MODEL = `${CONFIG_PROVIDER.prefix}/m1`
const HAIKU = CONFIG_COMBO.name
const KEY_NAME = 'claude-code'

/** JSON with // and /* *\/ comments (as Claude Code reads it) → a value. */
function parseJSONC(text: string): any {
  let out = ''
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === '"') {
      let j = i + 1
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1
      out += text.slice(i, j + 1)
      i = j
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++
      out += '\n'
    } else if (c === '/' && text[i + 1] === '*') {
      i = text.indexOf('*/', i + 2) + 1
    } else {
      out += c
    }
  }
  return JSON.parse(out)
}

const OUR_ENV = /^\s*"ANTHROPIC_[A-Z_]+": /

test.describe.serial('CLI tools', () => {
  let context: BrowserContext
  let page: Page
  let base: string
  let settingsPath: string
  let token = ''

  test.beforeAll(async ({ browser }) => {
    const info = serverInfo()
    base = info.baseURL
    expect(info.homeDir, 'global setup runs the server with a temporary HOME').toBeTruthy()
    settingsPath = claudeSettingsPath(info.homeDir!)
    expect(fs.readFileSync(settingsPath, 'utf8'), 'the seeded settings are untouched so far').toBe(CLAUDE_SETTINGS_SEED)
    context = await signedInContext(browser)
    page = await context.newPage()
  })

  test.afterAll(async () => {
    await context?.close()
  })

  const claude = () => page.locator('[data-testid="tool-card"][data-tool-id="claude-code"]')
  const lines = (diff: Locator, kind: string) => diff.locator(`.dl[data-kind="${kind}"]`).allTextContents()

  test('finds Claude Code in the temporary HOME, not configured yet', async () => {
    await page.goto(`${base}/`)
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'CLI Tools' }).click()
    await expect(page).toHaveURL(/#\/tools$/)
    await expect(page.getByRole('heading', { name: 'CLI Tools', level: 1 })).toBeVisible()

    const card = claude()
    await expect(card).toBeVisible()
    await expect(card.getByRole('heading', { name: 'Claude Code' })).toBeVisible()
    await expect(card.getByTestId('tool-state')).toHaveText('Not configured')
    await expect(card.getByTestId('tool-installed')).toHaveText('Installed') // its program is in ~/.claude/local
    await expect(card.getByTestId('tool-model')).toHaveText('claude-sonnet-4-5')
    await expect(card.getByTestId('tool-config-path')).toHaveText([settingsPath])
    await expect(card.getByRole('button', { name: 'Undo Claude Code' })).toHaveCount(0)
    // the other tools are listed too, each with its paths under the temporary HOME
    const paths = await page.getByTestId('tool-config-path').allTextContents()
    expect(paths.length).toBeGreaterThan(5)
    for (const p of paths) expect(p.startsWith(serverInfo().homeDir!), p).toBe(true)

    // manual tools and the shell snippet
    await expect(page.getByTestId('manual-tool')).toHaveCount(3)
    await expect(page.locator('[data-testid="manual-tool"][data-tool-id="cursor"]')).toContainText(`${base}/v1`)
    await expect(page.getByTestId('snippet-text')).toContainText(`export ANTHROPIC_BASE_URL="${base}"`)
    await expect(page.getByRole('button', { name: 'Copy shell snippet' })).toBeVisible()
  })

  test('previews the diff, applies after confirming, and keeps everything of the user', async ({ request }) => {
    const card = claude()
    // the picker offers the routable models (the config provider's, the config combo)
    const options = await page.locator('#tool-models option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))
    expect(options).toEqual(expect.arrayContaining([MODEL, HAIKU]))

    await card.getByLabel('Model for Claude Code', { exact: true }).fill(MODEL)
    await card.getByLabel('Haiku model for Claude Code').fill(HAIKU)
    await card.getByRole('button', { name: 'Preview Claude Code' }).click()

    const plan = card.getByTestId('tool-plan')
    await expect(plan).toBeVisible()
    const file = plan.getByTestId('plan-file')
    await expect(file).toHaveAttribute('data-path', settingsPath)
    await expect(file.getByTestId('created-badge')).toHaveCount(0)
    const diff = file.getByTestId('diff')
    const added = await lines(diff, 'add')
    expect(added).toContain(`+    "ANTHROPIC_BASE_URL": "${base}",`)
    expect(added).toContain(`+    "ANTHROPIC_MODEL": "${MODEL}",`)
    expect(added).toContain(`+    "ANTHROPIC_DEFAULT_HAIKU_MODEL": "${HAIKU}"`)
    expect(added.some((l) => l.includes('"ANTHROPIC_AUTH_TOKEN"'))).toBe(true)
    expect(await lines(diff, 'del')).toEqual(['-    "DISABLE_TELEMETRY": "1"'])
    // added lines are coloured apart from the context
    const bg = (kind: string) => diff.locator(`.dl[data-kind="${kind}"]`).first().evaluate((e) => getComputedStyle(e).backgroundColor)
    expect(await bg('add')).not.toBe(await bg('ctx'))
    expect(await bg('add')).not.toBe(await bg('del'))
    await expect(plan.getByTestId('plan-key')).toContainText(`creates a key named ${KEY_NAME}`)
    // a preview writes nothing
    expect(fs.readFileSync(settingsPath, 'utf8')).toBe(CLAUDE_SETTINGS_SEED)

    // the preview is the one confirm step: what it writes, Discard or Apply
    const confirm = plan.getByRole('group', { name: 'Confirm applying to Claude Code' })
    await expect(confirm).toContainText(`Write 1 file and create the key ${KEY_NAME}?`)
    await expect(confirm.getByRole('button')).toHaveText(['Discard', 'Apply'])
    await plan.getByRole('button', { name: 'Apply to Claude Code' }).click()

    const result = card.getByTestId('tool-result')
    await expect(result.getByRole('status')).toHaveText('Claude Code now goes through Switchboard')
    const written = result.getByTestId('result-file')
    await expect(written).toHaveAttribute('data-action', 'updated')
    await expect(written).toHaveAttribute('data-path', settingsPath)
    await expect(result.getByTestId('result-key')).toHaveAttribute('data-key', 'created')
    await expect(result.getByTestId('result-key')).toContainText(KEY_NAME)
    // the backup holds the file as it was
    const backup = (await result.getByTestId('result-backup').locator('code').textContent())!.trim()
    expect(fs.readFileSync(backup, 'utf8')).toBe(CLAUDE_SETTINGS_SEED)

    // refreshed: routed here, with the chosen model, and undoable
    await expect(card.getByTestId('tool-state')).toHaveText('Routed through Switchboard')
    await expect(card.getByTestId('tool-model')).toHaveText(MODEL)
    await expect(card.getByRole('button', { name: 'Undo Claude Code' })).toBeVisible()
    await expect(card.getByTestId('tool-plan')).toHaveCount(0)

    // on disk: the user's file with our env keys added, nothing else changed
    const text = fs.readFileSync(settingsPath, 'utf8')
    const seedLines = CLAUDE_SETTINGS_SEED.split('\n')
    const kept = text
      .split('\n')
      .filter((l) => !OUR_ENV.test(l))
      .map((l) => (l === '    "DISABLE_TELEMETRY": "1",' ? '    "DISABLE_TELEMETRY": "1"' : l))
    expect(kept, 'every line of the user (comments included) is kept, in order').toEqual(seedLines)
    for (const comment of [
      '  // Personal Claude Code settings: synced from ~/dotfiles, edit them there.',
      '    "BASH_DEFAULT_TIMEOUT_MS": "300000", // the integration suites are slow',
      '   * Hooks: format what Claude writes, and ping me when it stops.',
    ])
      expect(text).toContain(comment)

    const seed = parseJSONC(CLAUDE_SETTINGS_SEED)
    const now = parseJSONC(text)
    expect(now.hooks).toEqual(seed.hooks)
    expect(now.statusLine).toEqual(seed.statusLine)
    expect(now.permissions).toEqual(seed.permissions)
    expect(now.model).toBe(seed.model)
    expect(now.env).toMatchObject({
      BASH_DEFAULT_TIMEOUT_MS: '300000',
      DISABLE_TELEMETRY: '1',
      ANTHROPIC_BASE_URL: base,
      ANTHROPIC_MODEL: MODEL,
      ANTHROPIC_DEFAULT_OPUS_MODEL: MODEL,
      ANTHROPIC_DEFAULT_SONNET_MODEL: MODEL,
      ANTHROPIC_DEFAULT_HAIKU_MODEL: HAIKU,
    })
    token = now.env.ANTHROPIC_AUTH_TOKEN
    expect(token).toMatch(/^sk-sb-\S+$/)

    // the key is a real gateway key named after the tool: Claude Code's request goes through
    const keys = (await (await context.request.get(`${base}/api/keys`)).json()) as { name: string }[]
    expect(keys.map((k) => k.name)).toContain(KEY_NAME)
    const res = await request.post(`${base}/v1/messages`, {
      headers: { Authorization: `Bearer ${token}`, 'anthropic-version': '2023-06-01', 'X-Switchboard-No-Cache': 'true' },
      data: { model: now.env.ANTHROPIC_MODEL, max_tokens: 16, messages: [{ role: 'user', content: 'ping' }] },
    })
    const body = await res.text()
    expect(res.status(), body).toBe(200)
    expect(body).toContain(FAKE_REPLY)
  })

  test('undo puts the file back byte for byte and revokes the key', async ({ request }) => {
    const card = claude()
    await card.getByRole('button', { name: 'Undo Claude Code' }).click()
    await expect(card.getByRole('group', { name: 'Confirm undoing Claude Code' })).toContainText('revoke its key')
    await card.getByRole('button', { name: 'Confirm undo Claude Code' }).click()

    const result = card.getByTestId('tool-result')
    await expect(result.getByRole('status')).toHaveText('Claude Code is back to how it was')
    await expect(result.getByTestId('result-file')).toHaveAttribute('data-action', 'restored')
    await expect(result.getByTestId('result-key')).toHaveAttribute('data-key', 'revoked')
    await expect(card.getByTestId('tool-state')).toHaveText('Not configured')
    await expect(card.getByTestId('tool-model')).toHaveText('claude-sonnet-4-5')
    await expect(card.getByRole('button', { name: 'Undo Claude Code' })).toHaveCount(0)

    expect(fs.readFileSync(settingsPath).equals(Buffer.from(CLAUDE_SETTINGS_SEED, 'utf8')), 'byte-identical to the seed').toBe(true)
    const keys = (await (await context.request.get(`${base}/api/keys`)).json()) as { name: string }[]
    expect(keys.map((k) => k.name)).not.toContain(KEY_NAME)
    const res = await request.get(`${base}/v1/models`, { headers: { Authorization: `Bearer ${token}` } })
    expect(res.status()).toBe(401)

    // nothing left to undo: the server's 400 would be shown on the card; the button is gone instead
    const again = await context.request.post(`${base}/api/tools/claude-code/undo`)
    expect(again.status()).toBe(400)
    expect(((await again.json()) as { error: { message: string } }).error.message).toMatch(/nothing to undo/)
  })
})
