import fs from 'node:fs'
import { expect, test, type BrowserContext, type Locator, type Page } from '@playwright/test'
import { autostartEntryPath, serverInfo } from '../server'
import { signedInContext } from '../session'

// Settings against the real binary: notification preferences persist in the
// backend (minutes on the page, seconds on the wire), and launch at login writes
// and removes the XDG autostart entry under the temporary HOME global setup made.
//
// (This file sorts after dashboard.spec.ts, which redeems the one-time login link.)

const DEFAULT_PREFS = {
  enabled: true,
  breakerOpen: true,
  quotaExhausted: true,
  comboUnavailable: true,
  oauthRefreshFailed: true,
  recovered: true,
  intervalSec: 300,
  // quota alerts (the server keeps them on when a page does not send them)
  quotaThreshold: true,
  quotaBack: true,
  keyBudget: true,
  quotaThresholdPercent: 90,
}

const KINDS = [
  "A provider's circuit breaker opens",
  "An account's quota is exhausted (with its reset time)",
  'Every target of a combo is unavailable',
  'A subscription token cannot be refreshed',
  'A provider recovers',
]

test.describe.serial('settings: notifications and launch at login', () => {
  let context: BrowserContext
  let page: Page
  let base: string
  let entry: string

  test.beforeAll(async ({ browser }) => {
    const info = serverInfo()
    base = info.baseURL
    expect(info.homeDir, 'global setup runs the server with a temporary HOME').toBeTruthy()
    entry = autostartEntryPath(info.homeDir!)
    context = await signedInContext(browser)
    page = await context.newPage()
  })

  test.afterAll(async () => {
    // leave the server as the other specs expect it, whatever happened above
    if (context) {
      await context.request.put(`${base}/api/notifications`, { data: DEFAULT_PREFS }).catch(() => {})
      await context.request.put(`${base}/api/autostart`, { data: { enabled: false } }).catch(() => {})
      await context.close()
    }
  })

  const form = () => page.getByTestId('notifications-form')
  const master = () => form().getByRole('switch', { name: 'Show notifications' })
  const kind = (label: string) => form().getByRole('switch', { name: label, exact: true })
  const interval = () => form().getByLabel('At most one alert per provider and kind every')
  const saveButton = () => form().getByRole('button', { name: 'Save notifications' })
  const prefsOnServer = async () => (await context.request.get(`${base}/api/notifications`)).json()

  async function save(): Promise<void> {
    await saveButton().click()
    await expect(form().getByRole('status')).toHaveText('Saved')
  }

  async function expectKinds(checked: boolean[], disabled: boolean): Promise<void> {
    for (const [i, label] of KINDS.entries()) {
      const box: Locator = kind(label)
      if (checked[i]) await expect(box, label).toBeChecked()
      else await expect(box, label).not.toBeChecked()
      if (disabled) await expect(box, label).toBeDisabled()
      else await expect(box, label).toBeEnabled()
    }
  }

  test('notification preferences are saved by the backend (minutes on the page, seconds on the wire)', async () => {
    await page.goto(`${base}/#/settings`)
    await expect(page.getByRole('heading', { name: 'Settings', level: 1 })).toBeVisible()
    await expect(form().getByRole('heading', { name: 'Notifications' })).toBeVisible()
    await expect(form()).toContainText('desktop notifications of the Switchboard app')
    await expect(form()).toContainText('writes them to its log')

    // a fresh data dir: everything on, five minutes
    await expect(master()).toBeChecked()
    await expectKinds([true, true, true, true, true], false)
    await expect(interval()).toHaveValue('5')
    await expect(saveButton()).toBeDisabled()

    // the master switch greys the kinds out without changing them
    await master().uncheck()
    await expectKinds([true, true, true, true, true], true)
    await master().check()
    await expectKinds([true, true, true, true, true], false)

    await kind('A provider recovers').uncheck()
    await interval().fill('2.5')
    await save()
    expect(await prefsOnServer()).toEqual({ ...DEFAULT_PREFS, recovered: false, intervalSec: 150 })

    await page.reload()
    await expect(interval()).toHaveValue('2.5')
    await expectKinds([true, true, true, true, false], false)
    await expect(master()).toBeChecked()

    // out of range: the server's 400 is shown at the field, nothing changes
    await interval().fill('0.1')
    await saveButton().click()
    const err = form().getByTestId('notify-interval-error')
    await expect(err).toContainText('intervalSec must be between 10 and 86400 seconds')
    await expect(interval()).toHaveAttribute('aria-invalid', 'true')
    expect((await prefsOnServer()).intervalSec).toBe(150)
    await interval().fill('5')
    await expect(err).toHaveCount(0)

    // put it back
    await kind('A provider recovers').check()
    await save()
    expect(await prefsOnServer()).toEqual(DEFAULT_PREFS)
  })

  test('launch at login is desktop-only: hidden on a headless server; its API still writes the entry under HOME', async () => {
    const info = serverInfo()
    await page.goto(`${base}/#/settings`)
    await expect(page.getByTestId('mode-badge')).toHaveText('Headless')
    await expect(page.getByTestId('notifications-form')).toBeVisible()
    await expect(page.getByTestId('autostart-panel')).toHaveCount(0)
    await expect(page.getByRole('switch', { name: 'Start Switchboard when I log in' })).toHaveCount(0)

    // the desktop app's panel drives this API (the window is not reachable from Playwright)
    expect(fs.existsSync(entry), `${entry} before switching on`).toBe(false)
    const on = await context.request.put(`${base}/api/autostart`, { data: { enabled: true } })
    expect(on.status(), await on.text()).toBe(200)
    const desktop = fs.readFileSync(entry, 'utf8')
    expect(desktop).toContain('[Desktop Entry]')
    expect(desktop).toMatch(/^Exec=.*--minimized/m)
    if (info.bin) expect(desktop).toContain(fs.realpathSync(info.bin))
    const off = await context.request.put(`${base}/api/autostart`, { data: { enabled: false } })
    expect(off.status()).toBe(200)
    expect(fs.existsSync(entry)).toBe(false)
  })
})
