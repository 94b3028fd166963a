// Notification preferences and launch at login over both transports.

import { describe, expect, it, vi } from 'vitest'
import { api, launchAtLogin } from './client'
import { ApiError } from './transport'
import type { LaunchAtLogin, NotificationPrefs } from './types'
import { errorResponse, installWails, jsonResponse, stubBackend } from '../../test/fakes'

const prefs: NotificationPrefs = {
  enabled: true,
  breakerOpen: false,
  quotaExhausted: true,
  comboUnavailable: true,
  oauthRefreshFailed: false,
  recovered: true,
  quotaThreshold: true,
  quotaBack: true,
  keyBudget: true,
  quotaThresholdPercent: 90,
  intervalSec: 600,
}

const OUT_OF_RANGE = 'invalid notification preferences: intervalSec must be between 10 and 86400 seconds'
const CMD = '/opt/switchboard/switchboard --minimized'

describe('launchAtLogin', () => {
  it('fills every field and keeps the error only when it says something', () => {
    expect(launchAtLogin(null)).toEqual({ enabled: false, supported: false, command: '' })
    expect(launchAtLogin({ enabled: true, supported: true, command: CMD })).toEqual({ enabled: true, supported: true, command: CMD })
    expect(launchAtLogin({ enabled: false, supported: true, command: CMD, error: '' })).toEqual({
      enabled: false,
      supported: true,
      command: CMD,
    })
    expect('error' in launchAtLogin({ supported: true, error: '  ' })).toBe(false)
    expect(launchAtLogin({ error: 'autostart: no executable' })).toEqual({
      enabled: false,
      supported: false,
      command: '',
      error: 'autostart: no executable',
    })
  })
})

describe('desktop services over HTTP', () => {
  it('map to the contract routes, verbs and bodies', async () => {
    let login: LaunchAtLogin = { enabled: false, supported: true, command: CMD }
    const { calls } = stubBackend((c) => {
      if (c.url === '/api/notifications' && c.method === 'GET') return { ...prefs, intervalSec: 300 }
      if (c.url === '/api/notifications' && c.method === 'PUT') return c.body
      if (c.url === '/api/autostart' && c.method === 'GET') return login
      if (c.url === '/api/autostart' && c.method === 'PUT') {
        login = { ...login, enabled: (c.body as { enabled: boolean }).enabled }
        return login
      }
      return errorResponse(404, `no route ${c.method} ${c.url}`)
    })

    expect(await api.getNotificationPrefs()).toEqual({ ...prefs, intervalSec: 300 })
    expect(await api.saveNotificationPrefs(prefs)).toEqual(prefs)
    expect(await api.getLaunchAtLogin()).toEqual({ enabled: false, supported: true, command: CMD })
    expect(await api.setLaunchAtLogin(true)).toEqual({ enabled: true, supported: true, command: CMD })
    expect(await api.setLaunchAtLogin(false)).toEqual({ enabled: false, supported: true, command: CMD })

    expect(calls.map((c) => [c.method, c.url, c.body])).toEqual([
      ['GET', '/api/notifications', undefined],
      ['PUT', '/api/notifications', prefs],
      ['GET', '/api/autostart', undefined],
      ['PUT', '/api/autostart', { enabled: true }],
      ['PUT', '/api/autostart', { enabled: false }],
    ])
    // exactly the seven fields go on the wire
    expect(Object.keys(calls[1].body as object).sort()).toEqual(
      ['breakerOpen', 'comboUnavailable', 'enabled', 'intervalSec', 'keyBudget', 'oauthRefreshFailed', 'quotaBack', 'quotaExhausted', 'quotaThreshold', 'quotaThresholdPercent', 'recovered'],
    )
  })

  it('surfaces the 400 of an out-of-range interval', async () => {
    stubBackend(() => errorResponse(400, OUT_OF_RANGE, 'invalid'))
    const err = await api.saveNotificationPrefs({ ...prefs, intervalSec: 5 }).catch((e) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err.status).toBe(400)
    expect(err.code).toBe('invalid')
    expect(err.message).toBe(OUT_OF_RANGE)
  })

  it('surfaces a refused launch-at-login change and reports an unsupported system', async () => {
    stubBackend((c) =>
      c.method === 'PUT'
        ? errorResponse(500, 'launch at login could not be changed: permission denied', 'autostart_failed')
        : jsonResponse({ enabled: false, supported: false, command: '', error: 'autostart: no home directory' }),
    )
    const err = await api.setLaunchAtLogin(true).catch((e) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err.status).toBe(500)
    expect(err.code).toBe('autostart_failed')
    expect(err.message).toMatch(/permission denied/)
    expect(await api.getLaunchAtLogin()).toEqual({ enabled: false, supported: false, command: '', error: 'autostart: no home directory' })
  })
})

describe('desktop services over Wails bindings', () => {
  it('call the bound methods with (prefs) / (boolean) and never fetch', async () => {
    const fetchMock = vi.fn()
    vi.stubGlobal('fetch', fetchMock)
    const { App } = installWails({
      GetNotificationPrefs: async () => prefs,
      SaveNotificationPrefs: async (p: NotificationPrefs) => p,
      GetLaunchAtLogin: async () => ({ enabled: true, supported: true, command: CMD }),
      SetLaunchAtLogin: async (on: boolean) => ({ enabled: on, supported: true, command: CMD }),
    })

    expect(await api.getNotificationPrefs()).toEqual(prefs)
    expect(await api.saveNotificationPrefs({ ...prefs, recovered: false })).toEqual({ ...prefs, recovered: false })
    expect(await api.getLaunchAtLogin()).toEqual({ enabled: true, supported: true, command: CMD })
    expect((await api.setLaunchAtLogin(false)).enabled).toBe(false)
    expect((await api.setLaunchAtLogin(true)).enabled).toBe(true)

    expect(App.GetNotificationPrefs.mock.calls).toEqual([[]])
    expect(App.SaveNotificationPrefs.mock.calls).toEqual([[{ ...prefs, recovered: false }]])
    expect(App.GetLaunchAtLogin.mock.calls).toEqual([[]])
    // a plain boolean, not {enabled}
    expect(App.SetLaunchAtLogin.mock.calls).toEqual([[false], [true]])
    expect(fetchMock).not.toHaveBeenCalled()
  })

  it('maps a Go error to an ApiError', async () => {
    installWails({
      SaveNotificationPrefs: async () => Promise.reject(`invalid: ${OUT_OF_RANGE}`),
      SetLaunchAtLogin: async () => Promise.reject('autostart: enable: read-only file system'),
    })
    const err = await api.saveNotificationPrefs({ ...prefs, intervalSec: 1 }).catch((e) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err.message).toBe(`invalid: ${OUT_OF_RANGE}`)
    const err2 = await api.setLaunchAtLogin(true).catch((e) => e)
    expect(err2).toBeInstanceOf(ApiError)
    expect(err2.message).toBe('autostart: enable: read-only file system')
  })
})
