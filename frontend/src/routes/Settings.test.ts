import { screen, waitFor, within } from '@testing-library/dom'
import userEvent from '@testing-library/user-event'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { LaunchAtLogin, NotificationPrefs, Settings } from '../lib/api/types'
import { errorResponse, installWails, stubBackend, type RecordedCall } from '../test/fakes'

// The stores are module singletons: each test renders from a fresh module graph.
let cleanup: (() => void) | undefined

/** renders the page as the desktop app (launch at login shown) or a headless server */
async function renderPage(mode: 'desktop' | 'headless' = 'desktop') {
  const tl = await import('@testing-library/svelte')
  const { statusStore } = await import('../lib/stores/status.svelte')
  statusStore.set({ ...statusStore.status!, mode } as never)
  const { default: SettingsPage } = await import('./Settings.svelte')
  cleanup = tl.cleanup
  return tl.render(SettingsPage)
}

beforeEach(() => {
  vi.resetModules()
})

afterEach(() => {
  cleanup?.()
  cleanup = undefined
})

const CMD = '/usr/lib/switchboard/switchboard --minimized'
const OUT_OF_RANGE = 'invalid notification preferences: intervalSec must be between 10 and 86400 seconds'

const KIND_LABELS = [
  "A provider's circuit breaker opens",
  "An account's quota is exhausted (with its reset time)",
  'Every target of a combo is unavailable',
  'A subscription token cannot be refreshed',
  'A provider recovers',
]

const defaults: NotificationPrefs = {
  enabled: true,
  breakerOpen: true,
  quotaExhausted: true,
  comboUnavailable: true,
  oauthRefreshFailed: true,
  recovered: true,
  quotaThreshold: true,
  quotaBack: true,
  keyBudget: true,
  quotaThresholdPercent: 90,
  intervalSec: 300,
}

/** An in-memory backend for the Settings page over HTTP (validating like the server). */
function backend(opts: { prefs?: NotificationPrefs; login?: LaunchAtLogin; refuseLogin?: string } = {}) {
  let settings: Settings = { logRequestBodies: false, responseCache: false, theme: 'system', quotaReservePercent: 0 }
  let prefs = { ...(opts.prefs ?? defaults) }
  let login: LaunchAtLogin = { ...(opts.login ?? { enabled: false, supported: true, command: CMD }) }
  const stub = stubBackend((c: RecordedCall) => {
    if (c.url === '/api/settings') return c.method === 'PUT' ? (settings = c.body as Settings) : settings
    if (c.url === '/api/notifications' && c.method === 'GET') return prefs
    if (c.url === '/api/notifications' && c.method === 'PUT') {
      const p = c.body as NotificationPrefs
      if (p.intervalSec < 10 || p.intervalSec > 86400) return errorResponse(400, OUT_OF_RANGE, 'invalid')
      return (prefs = p)
    }
    if (c.url === '/api/autostart' && c.method === 'GET') return login
    if (c.url === '/api/autostart' && c.method === 'PUT') {
      if (opts.refuseLogin) return errorResponse(500, opts.refuseLogin, 'autostart_failed')
      login = { ...login, enabled: (c.body as { enabled: boolean }).enabled }
      return login
    }
    return errorResponse(404, `no route ${c.method} ${c.url}`)
  })
  return { ...stub, prefs: () => prefs, login: () => login }
}

const notifForm = () => screen.getByTestId('notifications-form')
const intervalBox = () => screen.getByLabelText('At most one alert per provider and kind every') as HTMLInputElement
const kindBox = (label: string) => within(notifForm()).getByRole('switch', { name: label }) as HTMLInputElement
const masterBox = () => within(notifForm()).getByRole('switch', { name: 'Show notifications' }) as HTMLInputElement
const loginBox = () => screen.getByRole('switch', { name: 'Start Switchboard when I log in' }) as HTMLInputElement
const saveNotifs = () => within(notifForm()).getByRole('button', { name: 'Save notifications' })
const puts = (calls: RecordedCall[], url: string) => calls.filter((c) => c.method === 'PUT' && c.url === url).map((c) => c.body)

describe('Settings page: notifications', () => {
  it('shows the switches in words, the interval in minutes, and where alerts appear', async () => {
    backend({ prefs: { ...defaults, quotaExhausted: false, intervalSec: 90 } })
    await renderPage()
    await waitFor(() => expect(intervalBox().value).toBe('1.5'))
    expect(screen.getByRole('heading', { name: 'Notifications' })).toBeTruthy()
    expect(notifForm().textContent).toMatch(/desktop notifications of the Switchboard app/)
    expect(notifForm().textContent).toMatch(/headless server\s+\(switchboard serve\) has no desktop: it writes them to its log/)
    expect(masterBox().checked).toBe(true)
    expect(KIND_LABELS.map((l) => kindBox(l).checked)).toEqual([true, false, true, true, true])
    expect(KIND_LABELS.every((l) => !kindBox(l).disabled)).toBe(true)
    expect(intervalBox().getAttribute('aria-describedby')).toMatch(/notify-interval-unit/)
    expect(document.getElementById('notify-interval-unit')!.textContent).toBe('minutes')
    // nothing changed yet
    expect((saveNotifs() as HTMLButtonElement).disabled).toBe(true)
  })

  it('saves the quota reserve and the quota alert threshold, refusing a threshold outside 1–100', async () => {
    const { calls } = backend()
    await renderPage()
    const user = userEvent.setup()
    const reserve = (await screen.findByLabelText('Quota reserve')) as HTMLInputElement
    await user.clear(reserve)
    await user.type(reserve, '10')
    await user.click(screen.getByRole('button', { name: 'Save settings' }))
    await waitFor(() => expect(puts(calls, '/api/settings')).toEqual([expect.objectContaining({ quotaReservePercent: 10 })]))

    const threshold = screen.getByLabelText('Quota alert when a plan window is') as HTMLInputElement
    expect(threshold.value).toBe('90')
    await user.clear(threshold)
    await user.type(threshold, '0')
    await user.click(saveNotifs())
    expect((await within(notifForm()).findByRole('alert')).textContent).toMatch(/between 1 and 100 percent/)
    expect(puts(calls, '/api/notifications')).toEqual([])
    await user.clear(threshold)
    await user.type(threshold, '80')
    await user.click(saveNotifs())
    await waitFor(() => expect(puts(calls, '/api/notifications')).toEqual([{ ...defaults, quotaThresholdPercent: 80 }]))
  })

  it('disables the per-kind switches while the master switch is off, and saves them untouched', async () => {
    const { calls } = backend({ prefs: { ...defaults, recovered: false } })
    await renderPage()
    await waitFor(() => expect(masterBox().checked).toBe(true))
    const user = userEvent.setup()

    await user.click(masterBox())
    expect(masterBox().checked).toBe(false)
    for (const l of KIND_LABELS) expect(kindBox(l).disabled).toBe(true)
    expect(notifForm().textContent).toMatch(/Turn notifications on to choose the kinds/)
    expect(kindBox(KIND_LABELS[0]).getAttribute('aria-describedby')).toBe('notify-kinds-off')
    // the master switch itself stays usable
    expect(masterBox().disabled).toBe(false)

    await user.click(saveNotifs())
    await waitFor(() => expect(within(notifForm()).getByRole('status').textContent).toBe('Saved'))
    expect(puts(calls, '/api/notifications')).toEqual([{ ...defaults, enabled: false, recovered: false }])
    for (const l of KIND_LABELS) expect(kindBox(l).disabled).toBe(true)

    await user.click(masterBox())
    for (const l of KIND_LABELS) expect(kindBox(l).disabled).toBe(false)
    expect(kindBox('A provider recovers').checked).toBe(false)
  })

  it('sends minutes as seconds: a kind off and 1.5 minutes save as intervalSec 90', async () => {
    const { calls, prefs } = backend()
    await renderPage()
    await waitFor(() => expect(intervalBox().value).toBe('5'))
    const user = userEvent.setup()

    await user.click(kindBox('Every target of a combo is unavailable'))
    await user.clear(intervalBox())
    await user.type(intervalBox(), '1.5')
    await user.click(saveNotifs())
    await waitFor(() => expect(within(notifForm()).getByRole('status').textContent).toBe('Saved'))
    expect(puts(calls, '/api/notifications')).toEqual([{ ...defaults, comboUnavailable: false, intervalSec: 90 }])
    expect(prefs().intervalSec).toBe(90)
    expect(intervalBox().value).toBe('1.5')
    expect(kindBox('Every target of a combo is unavailable').checked).toBe(false)

    // a whole day
    await user.clear(intervalBox())
    await user.type(intervalBox(), '1440')
    await user.click(saveNotifs())
    await waitFor(() => expect(prefs().intervalSec).toBe(86400))
  })

  it('shows the server refusing an out-of-range interval next to the field, until it is edited', async () => {
    const { calls, prefs } = backend()
    await renderPage()
    await waitFor(() => expect(intervalBox().value).toBe('5'))
    const user = userEvent.setup()

    await user.clear(intervalBox())
    await user.type(intervalBox(), '0.1')
    await user.click(saveNotifs())
    const err = await screen.findByTestId('notify-interval-error')
    expect(err.textContent).toBe(OUT_OF_RANGE)
    expect(err.getAttribute('role')).toBe('alert')
    expect(intervalBox().getAttribute('aria-invalid')).toBe('true')
    expect(intervalBox().getAttribute('aria-describedby')).toMatch(/notify-interval-error/)
    expect(puts(calls, '/api/notifications')).toEqual([{ ...defaults, intervalSec: 6 }])
    expect(prefs().intervalSec).toBe(300)
    // the draft is kept for correcting
    expect(intervalBox().value).toBe('0.1')

    await user.type(intervalBox(), '5')
    expect(screen.queryByTestId('notify-interval-error')).toBeNull()
    expect(intervalBox().getAttribute('aria-invalid')).toBeNull()
  })

  it('an empty or non-positive interval is caught before sending', async () => {
    const { calls } = backend()
    await renderPage()
    await waitFor(() => expect(intervalBox().value).toBe('5'))
    const user = userEvent.setup()

    await user.clear(intervalBox())
    await user.click(saveNotifs())
    expect((await screen.findByTestId('notify-interval-error')).textContent).toBe('Enter a number of minutes between 0.17 and 1440.')
    await user.type(intervalBox(), '0')
    await user.click(saveNotifs())
    expect((await screen.findByTestId('notify-interval-error')).textContent).toMatch(/between 0.17 and 1440/)
    expect(puts(calls, '/api/notifications')).toEqual([])
  })

  it('reports a failed load', async () => {
    stubBackend((c) => (c.url === '/api/notifications' ? errorResponse(500, 'internal error; see Switchboard\'s log') : errorResponse(404, 'no')))
    await renderPage()
    expect((await within(notifForm()).findByRole('alert')).textContent).toMatch(
      /Could not load the notification settings: internal error/,
    )
  })
})

describe('Settings page: launch at login', () => {
  it('shows the command and turns launch at login on and off', async () => {
    const { calls, login } = backend()
    await renderPage()
    await waitFor(() => expect(screen.getByTestId('autostart-command').textContent).toBe(CMD))
    const panel = screen.getByTestId('autostart-panel')
    expect(within(panel).getByRole('heading', { name: 'Launch at login' })).toBeTruthy()
    expect(panel.textContent).toMatch(/starts minimised to the tray/)
    expect(screen.getByTestId('autostart-command').tagName).toBe('CODE')
    expect(loginBox().checked).toBe(false)
    expect(loginBox().disabled).toBe(false)
    expect(loginBox().getAttribute('aria-describedby')).toBe('autostart-help autostart-command')
    const user = userEvent.setup()

    await user.click(loginBox())
    await waitFor(() => expect(login().enabled).toBe(true))
    await waitFor(() => expect(loginBox().disabled).toBe(false))
    expect(loginBox().checked).toBe(true)

    await user.click(loginBox())
    await waitFor(() => expect(login().enabled).toBe(false))
    await waitFor(() => expect(loginBox().disabled).toBe(false))
    expect(loginBox().checked).toBe(false)
    expect(puts(calls, '/api/autostart')).toEqual([{ enabled: true }, { enabled: false }])
  })

  it('is disabled with the reason when the system does not support it', async () => {
    backend({ login: { enabled: false, supported: false, command: '' } })
    await renderPage()
    const reason = await screen.findByTestId('autostart-reason')
    expect(reason.textContent).toMatch(/does not support starting Switchboard at login/)
    expect(loginBox().disabled).toBe(true)
    expect(loginBox().getAttribute('aria-describedby')).toBe('autostart-help autostart-reason')
    expect(screen.queryByTestId('autostart-command')).toBeNull()
  })

  it('is disabled with the reason when the server reports an error', async () => {
    backend({ login: { enabled: false, supported: false, command: '', error: 'autostart: cannot find the executable' } })
    await renderPage()
    expect((await screen.findByTestId('autostart-reason')).textContent).toBe('Unavailable: autostart: cannot find the executable')
    expect(loginBox().disabled).toBe(true)
  })

  it('a refused change shows why and leaves the switch as the server reports it', async () => {
    const { calls } = backend({ refuseLogin: 'launch at login could not be changed: read-only file system' })
    await renderPage()
    await waitFor(() => expect(loginBox().disabled).toBe(false))
    await userEvent.setup().click(loginBox())
    const alert = await within(screen.getByTestId('autostart-panel')).findByRole('alert')
    expect(alert.textContent).toBe('launch at login could not be changed: read-only file system')
    await waitFor(() => expect(loginBox().disabled).toBe(false))
    expect(loginBox().checked).toBe(false)
    expect(calls.filter((c) => c.url === '/api/autostart').map((c) => c.method)).toEqual(['GET', 'PUT', 'GET'])
  })
})

describe('Settings page: headless', () => {
  it('hides launch at login (desktop-only) and never asks the server about it', async () => {
    const { calls } = backend()
    await renderPage('headless')
    await screen.findByLabelText('Log request bodies')
    await screen.findByTestId('notifications-form')
    expect(screen.queryByTestId('autostart-panel')).toBeNull()
    expect(screen.queryByRole('switch', { name: 'Start Switchboard when I log in' })).toBeNull()
    expect(calls.some((c) => c.url === '/api/autostart')).toBe(false)
  })
})

describe('Settings page over Wails bindings', () => {
  it('saves the preferences object (seconds) and passes a boolean to SetLaunchAtLogin', async () => {
    let login: LaunchAtLogin = { enabled: true, supported: true, command: CMD }
    const { App } = installWails({
      GetSettings: async () => ({ logRequestBodies: false, responseCache: false, theme: 'system', quotaReservePercent: 0 }),
      GetNotificationPrefs: async () => ({ ...defaults, intervalSec: 600 }),
      SaveNotificationPrefs: async (p: NotificationPrefs) => {
        if (p.intervalSec > 86400) throw `invalid: ${OUT_OF_RANGE}`
        return p
      },
      GetLaunchAtLogin: async () => login,
      SetLaunchAtLogin: async (on: boolean) => (login = { ...login, enabled: on }),
    })
    await renderPage()
    await waitFor(() => expect(intervalBox().value).toBe('10'))
    await waitFor(() => expect(loginBox().checked).toBe(true))
    const user = userEvent.setup()

    await user.click(kindBox('A subscription token cannot be refreshed'))
    await user.clear(intervalBox())
    await user.type(intervalBox(), '2')
    await user.click(saveNotifs())
    await waitFor(() => expect(App.SaveNotificationPrefs).toHaveBeenCalledTimes(1))
    expect(App.SaveNotificationPrefs.mock.calls[0]).toEqual([{ ...defaults, oauthRefreshFailed: false, intervalSec: 120 }])

    // the bound method's refusal is shown at the field too
    await user.clear(intervalBox())
    await user.type(intervalBox(), '2000')
    await user.click(saveNotifs())
    expect((await screen.findByTestId('notify-interval-error')).textContent).toBe(OUT_OF_RANGE)

    await user.click(loginBox())
    await waitFor(() => expect(App.SetLaunchAtLogin.mock.calls).toEqual([[false]]))
    await waitFor(() => expect(loginBox().checked).toBe(false))
  })
})
