// The quota operations (Limits page, Overview card) over both transports.

import { describe, expect, it, vi } from 'vitest'
import { api, quotaAccount as normalise } from './client'
import { ApiError } from './transport'
import { errorResponse, GO_ZERO_TIME, installWails, quotaAccount, quotaOverview, quotaWindow, stubBackend } from '../../test/fakes'

const NO_ENDPOINT = 'this account has no usage endpoint; its figures come from the rate-limit headers of its answers'

const resetAt = '2030-01-01T10:00:00Z'
const observedAt = '2030-01-01T08:48:00Z'

/** what GET /api/quota answers: one sign-in with two windows, one API key with counts */
function overview() {
  return quotaOverview([
    quotaAccount('claude:max', [quotaWindow('5h', { percent: 72, resetAt, observedAt }), quotaWindow('7d', { percent: 40, resetAt, observedAt })], {
      lastPollAt: observedAt,
      nextPollAt: '2030-01-01T08:49:00Z',
    }),
    quotaAccount('openai:key', [quotaWindow('requests', { percent: 75, remaining: 125, limit: 500, source: 'headers', plan: false, resetAt, observedAt })], {
      polled: false,
      state: 'reserve',
    }),
  ])
}

describe('quota operations over HTTP', () => {
  it('map to the contract routes and verbs, and keep every figure', async () => {
    const fresh = quotaAccount('claude:max', [quotaWindow('5h', { percent: 10, resetAt, observedAt })])
    const { calls } = stubBackend((c) => {
      if (c.method === 'GET' && c.url === '/api/quota') return overview()
      if (c.method === 'POST' && c.url === '/api/quota/claude%3Amax/refresh') return fresh
      if (c.method === 'GET' && c.url === '/api/quota/tray')
        return [{ provider: 'claude', providerName: 'Claude', account: 'max', state: 'ok', window: quotaWindow('5h', { resetAt, observedAt }) }]
      return errorResponse(404, 'no route')
    })

    const o = await api.listQuota()
    expect(o.reservePercent).toBe(10)
    expect(o.thresholdPercent).toBe(90)
    expect(o.accounts.map((a) => [a.accountId, a.state, a.polled])).toEqual([
      ['claude:max', 'ok', true],
      ['openai:key', 'reserve', false],
    ])
    const [max, key] = o.accounts
    expect(max.windows.map((w) => [w.label, w.percent, w.resetAt, w.source])).toEqual([
      ['5-hour', 72, resetAt, 'usage'],
      ['Weekly', 40, resetAt, 'usage'],
    ])
    expect(max.tightest?.name).toBe('5h')
    expect(max.lastPollAt).toBe(observedAt)
    expect(key.windows[0]).toMatchObject({ remaining: 125, limit: 500, percent: 75, source: 'headers', plan: false })

    const r = await api.refreshQuota('claude:max')
    expect(r.windows[0].percent).toBe(10)
    const lines = await api.trayQuota()
    expect(lines[0]).toMatchObject({ provider: 'claude', account: 'max', state: 'ok' })
    expect(lines[0].window?.percent).toBe(72)

    expect(calls.map((c) => [c.method, c.url, c.body])).toEqual([
      ['GET', '/api/quota', undefined],
      ['POST', '/api/quota/claude%3Amax/refresh', undefined],
      ['GET', '/api/quota/tray', undefined],
    ])
  })

  it('a refresh of an API key rejects with the documented 400 message; a failing usage endpoint with its 502', async () => {
    stubBackend((c) =>
      c.url.startsWith('/api/quota/openai')
        ? errorResponse(400, NO_ENDPOINT, 'invalid')
        : errorResponse(502, 'the usage endpoint could not be read: HTTP 401: token expired', 'usage_endpoint_failed'),
    )
    const bad = await api.refreshQuota('openai:key').catch((e) => e)
    expect(bad).toBeInstanceOf(ApiError)
    expect(bad.status).toBe(400)
    expect(bad.code).toBe('invalid')
    expect(bad.message).toBe(NO_ENDPOINT)

    const failed = await api.refreshQuota('claude:max').catch((e) => e)
    expect(failed.status).toBe(502)
    expect(failed.code).toBe('usage_endpoint_failed')
    expect(failed.message).toMatch(/HTTP 401: token expired/)
  })

  it('turns Go nil slices and zero times into empty lists and absent fields', async () => {
    stubBackend((c) => {
      if (c.url === '/api/quota')
        return {
          reservePercent: 0,
          reserveFromConfig: false,
          thresholdPercent: 90,
          accounts: [
            { accountId: 'a', account: 'a', provider: 'p', providerName: 'P', state: '', windows: null, polled: false, exhaustedUntil: GO_ZERO_TIME },
            {
              ...quotaAccount('claude:max', [quotaWindow('5h', { resetAt: GO_ZERO_TIME })]),
              lastPollAt: GO_ZERO_TIME,
              pollError: '',
            },
          ],
        }
      return null
    })
    const o = await api.listQuota()
    expect(o.accounts[0].windows).toEqual([])
    expect(o.accounts[0].state).toBe('ok')
    expect('exhaustedUntil' in o.accounts[0]).toBe(false)
    expect('tightest' in o.accounts[0]).toBe(false)
    expect('resetAt' in o.accounts[1].windows[0]).toBe(false)
    expect('lastPollAt' in o.accounts[1]).toBe(false)
    expect('pollError' in o.accounts[1]).toBe(false)
    expect(await api.trayQuota()).toEqual([])
  })

  it('null answers are empty too', async () => {
    stubBackend(() => null)
    expect(await api.listQuota()).toEqual({ reservePercent: 0, reserveFromConfig: false, thresholdPercent: 0, accounts: [] })
  })
})

describe('quota operations over Wails bindings', () => {
  it('call the bound methods with the contract arguments and never fetch', async () => {
    const fetchMock = vi.fn()
    vi.stubGlobal('fetch', fetchMock)
    const { App } = installWails({
      ListQuota: async () => overview(),
      RefreshQuota: async (id: string) => quotaAccount(id, [quotaWindow('5h', { percent: 5, resetAt, observedAt })]),
      TrayQuota: async () => null,
    })

    const o = await api.listQuota()
    expect(o.accounts).toHaveLength(2)
    expect(o.accounts[1].windows[0].remaining).toBe(125)
    const r = await api.refreshQuota('claude:max')
    expect(r.tightest?.percent).toBe(5)
    expect(await api.trayQuota()).toEqual([])

    expect(App.ListQuota).toHaveBeenCalledWith()
    expect(App.RefreshQuota).toHaveBeenCalledWith('claude:max')
    expect(App.TrayQuota).toHaveBeenCalledTimes(1)
    expect(fetchMock).not.toHaveBeenCalled()
  })

  it('maps the Go error of RefreshQuota to an ApiError with its text', async () => {
    installWails({ RefreshQuota: async () => Promise.reject(`invalid: ${NO_ENDPOINT}`) })
    const err = await api.refreshQuota('openai:key').catch((e) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err.message).toContain(NO_ENDPOINT)
  })
})

describe('quotaAccount', () => {
  it('keeps counts of zero and drops junk', () => {
    const a = normalise({
      ...quotaAccount('openai:key', [quotaWindow('requests', { percent: 100, remaining: 0, limit: 500, exhausted: true })]),
      exhaustedUntil: resetAt,
    })
    expect(a.windows[0].remaining).toBe(0)
    expect(a.windows[0].exhausted).toBe(true)
    expect(a.exhaustedUntil).toBe(resetAt)
    expect(normalise(null)).toEqual({ state: 'ok', windows: [], polled: false })
  })
})
