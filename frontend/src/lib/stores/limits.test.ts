import { describe, expect, it, vi } from 'vitest'
import { ApiError } from '../api/transport'
import type { QuotaAccount, QuotaOverview } from '../api/types'
import { fakePoller, quotaAccount, quotaOverview, quotaWindow } from '../../test/fakes'
import {
  barTone,
  countsText,
  LIMITS_REFRESH_MS,
  LimitsStore,
  percentOf,
  resetText,
  sourceLabel,
  tightestAccounts,
  type LimitsApi,
} from './limits.svelte'

function fakeApi(o: QuotaOverview = quotaOverview([quotaAccount('claude:max', [quotaWindow('5h')])])) {
  return {
    listQuota: vi.fn(async () => structuredClone(o)),
    refreshQuota: vi.fn(async (id: string): Promise<QuotaAccount> => quotaAccount(id, [quotaWindow('5h', { percent: 3 })])),
  } satisfies LimitsApi
}


describe('limits helpers', () => {
  it('tightestAccounts: used up first, then the reserve, then the fullest; nothing known or stale is left out', () => {
    const acc = (id: string, percent: number, state = 'ok', stale = false) =>
      quotaAccount(id, [quotaWindow('5h', { percent, stale })], { state })
    const list = [
      acc('a', 50),
      acc('b', 97),
      acc('c', 88, 'reserve'),
      acc('d', 100, 'exhausted'),
      acc('e', 0, 'ok', true),
      quotaAccount('f', []),
      acc('g', 60),
    ]
    expect(tightestAccounts(list).map((a) => a.accountId)).toEqual(['d', 'c', 'b'])
    expect(tightestAccounts(list, 10).map((a) => a.accountId)).toEqual(['d', 'c', 'b', 'g', 'a'])
  })

  it('percent, counts, reset and source read as people expect', () => {
    const now = Date.parse('2030-01-01T10:00:00Z')
    expect(percentOf(quotaWindow('5h', { percent: 72.4 }))).toBe(72)
    expect(percentOf(quotaWindow('5h', { percent: 100, exhausted: false }))).toBe(99) // not used up yet
    expect(percentOf(quotaWindow('5h', { percent: 100, exhausted: true }))).toBe(100)
    expect(percentOf(quotaWindow('5h', { percent: -3 }))).toBe(0)
    expect(countsText(quotaWindow('requests', { remaining: 280, limit: 1000 }))).toBe('280 / 1,000 left')
    expect(countsText(quotaWindow('requests', { remaining: 0, limit: 1000 }))).toBe('0 / 1,000 left')
    expect(countsText(quotaWindow('requests', { remaining: 12 }))).toBe('12 left')
    expect(countsText(quotaWindow('5h'))).toBe('')
    expect(resetText(quotaWindow('5h', { resetAt: '2030-01-01T11:12:00Z' }), now)).toBe('resets in 1h 12m')
    expect(resetText(quotaWindow('5h', { resetAt: '2030-01-01T09:59:00Z' }), now)).toBe('resetting now')
    expect(resetText(quotaWindow('5h', { resetAt: undefined }), now)).toBe('')
    expect(resetText(quotaWindow('5h', { stale: true }), now)).toMatch(/reset passed/)
    expect([sourceLabel('usage'), sourceLabel('headers'), sourceLabel('error')]).toEqual(['usage endpoint', 'headers', '429'])
  })

  it('barTone: out when used up, high past the threshold or inside the reserve', () => {
    const o = { reservePercent: 10, thresholdPercent: 80 }
    expect(barTone(quotaWindow('5h', { percent: 50 }), o)).toBe('ok')
    expect(barTone(quotaWindow('5h', { percent: 80 }), o)).toBe('high')
    expect(barTone(quotaWindow('5h', { percent: 79 }), { reservePercent: 25, thresholdPercent: 90 })).toBe('high')
    expect(barTone(quotaWindow('5h', { percent: 100, exhausted: true }), o)).toBe('out')
    expect(barTone(quotaWindow('5h', { percent: 0, stale: true }), o)).toBe('ok')
  })
})

describe('LimitsStore', () => {
  it('re-reads every 30 s while visible without piling up, keeping the figures when a read fails', async () => {
    const client = fakeApi()
    const p = fakePoller()
    const store = new LimitsStore(client, { poller: p.deps })
    await store.load()
    const stop = store.startPolling()
    expect(p.deps.setInterval).toHaveBeenCalledWith(expect.any(Function), LIMITS_REFRESH_MS)
    p.tick()
    p.tick() // still loading: skipped
    await vi.waitFor(() => expect(store.loading).toBe(false))
    expect(client.listQuota).toHaveBeenCalledTimes(2)

    client.listQuota.mockRejectedValueOnce(new ApiError(0, 'Cannot reach Switchboard. Is it still running?'))
    p.tick()
    await vi.waitFor(() => expect(store.error).toMatch(/Cannot reach/))
    expect(store.accounts).toHaveLength(1)
    stop()
    expect(p.timers.size).toBe(0)
  })

  it('a refresh replaces that account; an older read answering later does not undo it', async () => {
    const client = fakeApi()
    const store = new LimitsStore(client)
    await store.load()
    let answer!: (o: QuotaOverview) => void
    client.listQuota.mockImplementationOnce(() => new Promise((r) => (answer = r)))
    const slow = store.load() // a read in flight…
    expect(await store.refresh('claude:max')).toBe(true)
    answer(quotaOverview([quotaAccount('claude:max', [quotaWindow('5h', { percent: 72 })])])) // …answers after the refresh
    await slow
    expect(client.refreshQuota).toHaveBeenCalledWith('claude:max')
    expect(store.accounts[0].windows[0].percent).toBe(3)
    expect(store.accounts[0].providerName).toBe('Claude')
    expect(store.refreshing).toEqual({})
  })

  it('a failed refresh keeps its message per account (Go prefixes dropped) until the next try', async () => {
    const client = fakeApi()
    const store = new LimitsStore(client)
    await store.load()
    client.refreshQuota.mockRejectedValueOnce(new ApiError(500, 'mgmt: invalid: this account has no usage endpoint'))
    expect(await store.refresh('openai:key')).toBe(false)
    expect(store.refreshErrors).toEqual({ 'openai:key': 'this account has no usage endpoint' })
    expect(store.refreshing).toEqual({})
    await vi.waitFor(() => expect(client.listQuota).toHaveBeenCalledTimes(2))
    expect(await store.refresh('openai:key')).toBe(true)
    expect(store.refreshErrors).toEqual({})
  })
})
