import { describe, expect, it, vi } from 'vitest'
import { ApiError } from '../api/transport'
import type { NotificationPrefs } from '../api/types'
import {
  defaultNotificationPrefs,
  INTERVAL_MINUTES,
  minutesToSeconds,
  NOTIFICATION_KINDS,
  NotificationsStore,
  secondsToMinutes,
  toNotificationPrefs,
} from './notifications.svelte'

const OUT_OF_RANGE = 'invalid notification preferences: intervalSec must be between 10 and 86400 seconds'

describe('notification preferences', () => {
  it('keep exactly the seven fields, with the server defaults for missing or odd values', () => {
    expect(defaultNotificationPrefs).toEqual({
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
    })
    expect(toNotificationPrefs(null)).toEqual(defaultNotificationPrefs)
    const extra = { ...defaultNotificationPrefs, enabled: false, recovered: false, quotaThreshold: true, quotaBack: true, quotaThresholdPercent: 90, intervalSec: 90, sound: 'ding' } as unknown as NotificationPrefs
    expect(toNotificationPrefs(extra)).toEqual({ ...defaultNotificationPrefs, enabled: false, recovered: false, quotaThreshold: true, quotaBack: true, quotaThresholdPercent: 90, intervalSec: 90 })
    expect(toNotificationPrefs({ breakerOpen: 'no' as unknown as boolean, intervalSec: Number.NaN })).toEqual(defaultNotificationPrefs)
    // the interval goes out as given (whole seconds): the server judges its range
    expect(toNotificationPrefs({ intervalSec: 5 }).intervalSec).toBe(5)
    expect(toNotificationPrefs({ intervalSec: 90.4 }).intervalSec).toBe(90)
  })

  it('name the seven kinds in words', () => {
    expect(NOTIFICATION_KINDS).toEqual([
      { key: 'breakerOpen', label: "A provider's circuit breaker opens" },
      { key: 'quotaThreshold', label: 'A plan window passes its alert threshold' },
      { key: 'quotaExhausted', label: "An account's quota is exhausted (with its reset time)" },
      { key: 'quotaBack', label: "An account's quota is back after its reset" },
      { key: 'comboUnavailable', label: 'Every target of a combo is unavailable' },
      { key: 'oauthRefreshFailed', label: 'A subscription token cannot be refreshed' },
      { key: 'recovered', label: 'A provider recovers' },
      { key: 'keyBudget', label: 'A local API key uses 80% of one of its budgets' },
    ])
  })

  it('convert minutes (page) to seconds (wire) and back', () => {
    expect(secondsToMinutes(300)).toBe(5)
    expect(secondsToMinutes(90)).toBe(1.5)
    expect(secondsToMinutes(10)).toBe(0.17)
    expect(secondsToMinutes(86400)).toBe(1440)
    expect(minutesToSeconds(5)).toBe(300)
    expect(minutesToSeconds(1.5)).toBe(90)
    expect(minutesToSeconds(0.17)).toBe(10)
    expect(minutesToSeconds(1440)).toBe(86400)
    expect(minutesToSeconds(0.1)).toBe(6)
    // every whole number of seconds survives the trip through the page
    for (let s = 1; s <= 86400; s += s < 200 ? 1 : 37) expect(minutesToSeconds(secondsToMinutes(s))).toBe(s)
    expect(INTERVAL_MINUTES).toEqual({ min: 0.17, max: 1440 })
  })
})

describe('NotificationsStore', () => {
  it('loads and saves only the seven fields', async () => {
    const client = {
      getNotificationPrefs: vi.fn(async () => ({ ...defaultNotificationPrefs, recovered: false, extra: 1 }) as unknown as NotificationPrefs),
      saveNotificationPrefs: vi.fn(async (p: NotificationPrefs) => p),
    }
    const store = new NotificationsStore(client)
    await store.load()
    expect(store.value).toEqual({ ...defaultNotificationPrefs, recovered: false })
    const next = { ...store.value!, breakerOpen: false, intervalSec: 120, more: true } as NotificationPrefs
    expect(await store.save(next)).toBe(true)
    expect(client.saveNotificationPrefs).toHaveBeenCalledWith({ ...defaultNotificationPrefs, recovered: false, breakerOpen: false, intervalSec: 120 })
    expect(store.value).toEqual({ ...defaultNotificationPrefs, recovered: false, breakerOpen: false, intervalSec: 120 })
    expect(store.savedAt).toBeGreaterThan(0)
    expect(store.saveError).toBe('')
  })

  it('keeps the saved value and flags the interval when the server refuses it (HTTP 400)', async () => {
    const client = {
      getNotificationPrefs: vi.fn(async () => defaultNotificationPrefs),
      saveNotificationPrefs: vi.fn(async (): Promise<NotificationPrefs> => {
        throw new ApiError(400, OUT_OF_RANGE, 'invalid')
      }),
    }
    const store = new NotificationsStore(client)
    await store.load()
    expect(await store.save({ ...defaultNotificationPrefs, intervalSec: 5 })).toBe(false)
    expect(store.value).toEqual(defaultNotificationPrefs)
    expect(store.saveError).toBe(OUT_OF_RANGE)
    expect(store.intervalInvalid).toBe(true)
    store.clearSaveError()
    expect(store.saveError).toBe('')
    expect(store.intervalInvalid).toBe(false)
  })

  it('reads the same refusal from a bound Go method (without its "invalid: " prefix)', async () => {
    const store = new NotificationsStore({
      getNotificationPrefs: async () => defaultNotificationPrefs,
      saveNotificationPrefs: async () => {
        throw new ApiError(500, `invalid: ${OUT_OF_RANGE}`)
      },
    })
    expect(await store.save({ ...defaultNotificationPrefs, intervalSec: 100000 })).toBe(false)
    expect(store.saveError).toBe(OUT_OF_RANGE)
    expect(store.intervalInvalid).toBe(true)
  })

  it('other failures are not about the interval; a failed load is reported', async () => {
    const store = new NotificationsStore({
      getNotificationPrefs: async () => {
        throw new ApiError(0, 'Cannot reach Switchboard. Is it still running?', 'unreachable')
      },
      saveNotificationPrefs: async () => {
        throw new ApiError(500, 'internal error; see Switchboard\'s log', 'internal')
      },
    })
    await store.load()
    expect(store.value).toBeNull()
    expect(store.loadError).toMatch(/Cannot reach Switchboard/)
    expect(await store.save(defaultNotificationPrefs)).toBe(false)
    expect(store.saveError).toMatch(/internal error/)
    expect(store.intervalInvalid).toBe(false)
  })
})
