import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { expect, test, type BrowserContext, type Page } from '@playwright/test'
import { E2E_DIR, serverInfo } from '../server'
import { signedInContext } from '../session'

// Settings → Backup & transfer against the real binary: a 9router setup
// (written by scripts/make-peer-fixtures.sh from 9router's documented
// db.json layout) is previewed from the dashboard — every item says what
// will be created, what maps with changes, what cannot be carried — then
// imported; then the backup written before that import is restored from the
// Backups panel, which takes the server back to the setup it had before
// (so the specs after this one see what they expect).

test.describe.serial('backups and import from another gateway', () => {
  let context: BrowserContext
  let page: Page
  let base: string
  let fixture: string

  test.beforeAll(async ({ browser }) => {
    test.setTimeout(180_000) // the fixture script compiles a Go test binary
    base = serverInfo().baseURL
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-peer-fixtures-'))
    execFileSync(path.join(E2E_DIR, '..', 'scripts', 'make-peer-fixtures.sh'), [out], { stdio: 'pipe' })
    fixture = path.join(out, '9router')
    expect(fs.existsSync(path.join(fixture, 'db.json'))).toBe(true)
    context = await signedInContext(browser)
    page = await context.newPage()
  })

  test.afterAll(async () => {
    await context?.close()
  })

  async function providerIds(): Promise<string[]> {
    const r = await context.request.get(`${base}/api/providers`)
    expect(r.ok()).toBe(true)
    return ((await r.json()) as { id: string }[]).map((p) => p.id)
  }

  test('previews a 9router setup (dry run), then imports it', async () => {
    const before = await providerIds()
    expect(before).not.toContain('mylab')
    const dbBefore = fs.readFileSync(path.join(fixture, 'db.json'))
    const mtimeBefore = fs.statSync(path.join(fixture, 'db.json')).mtimeMs

    await page.goto(`${base}/#/settings`)
    const panel = page.getByTestId('transfer-panel')
    await expect(panel).toBeVisible()
    await panel.getByLabel('From').selectOption('9router')
    await panel.getByLabel('Path').fill(fixture)
    await expect(panel.getByTestId('peer-apply')).toBeDisabled()
    await panel.getByTestId('peer-preview').click()

    const preview = panel.getByTestId('import-preview')
    await expect(preview).toBeVisible()
    await expect(preview).toContainText('Found: 9router db.json (lowdb, 0.4.x layout)')
    await expect(preview).toContainText('13 to create, 0 to update, 0 already here, 7 cannot be carried')
    const row = (name: string) => preview.getByTestId('report-item').filter({ hasText: name })
    await expect(row('openai/work')).toContainText('will create')
    await expect(row('copilot/octo')).toContainText('maps with changes: provider github is copilot here')
    await expect(row('tiny')).toContainText('cannot carry')
    await expect(row('tiny')).toContainText('shorter than the 16 characters')
    await expect(row('cursor/cur')).toContainText('Switchboard has no provider cursor')
    // a preview writes nothing
    expect(await providerIds()).toEqual(before)

    await panel.getByTestId('peer-apply').click()
    const result = panel.getByTestId('import-result')
    await expect(result).toBeVisible()
    await expect(result).toContainText('A backup was written first')
    const after = await providerIds()
    for (const id of ['mylab', 'openai', 'anthropic', 'claude', 'copilot']) expect(after).toContain(id)

    // 9router's file was only read
    expect(fs.readFileSync(path.join(fixture, 'db.json')).equals(dbBefore)).toBe(true)
    expect(fs.statSync(path.join(fixture, 'db.json')).mtimeMs).toBe(mtimeBefore)
  })

  test('restores the backup taken before the import', async () => {
    await page.goto(`${base}/#/settings`)
    const panel = page.getByTestId('backups-panel')
    const row = panel.getByTestId('backup-row').filter({ hasText: 'Before an import' }).first()
    await expect(row).toBeVisible()
    await row.getByTestId('restore').click()
    await row.getByTestId('restore-confirm').click()
    await expect(panel.getByTestId('restore-done')).toContainText('The database it replaced is kept as')
    const ids = await providerIds()
    expect(ids).not.toContain('mylab')
    expect(ids).not.toContain('copilot')
    // the replaced database is listed as a backup too
    await expect(panel.getByTestId('backup-row').filter({ hasText: 'Before a restore' })).toHaveCount(1)
  })
})
