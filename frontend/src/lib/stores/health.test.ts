import { describe, expect, it, vi } from 'vitest'
import { ApiError } from '../api/transport'
import type { AccountInput, AccountView, HealthView, RoutingEvent } from '../api/types'
import { breaker, cooldown, fakePoller, routingEvent } from '../../test/fakes'
import {
  cooldownKey,
  describeEvent,
  eventTone,
  EVENTS_LIMIT,
  HEALTH_REFRESH_MS,
  HealthStore,
  reasonLabel,
  type HealthApi,
} from './health.svelte'

function fakeApi(health: HealthView = { breakers: [breaker('fake')], cooldowns: [cooldown('a_1')] }, events: RoutingEvent[] = []) {
  return {
    getHealth: vi.fn(async () => health),
    listEvents: vi.fn(async (_n?: number) => events),
    resetHealth: vi.fn(async (_p?: string, _a?: string) => 1),
    addAccount: vi.fn(async (_id: string, _a: AccountInput) => ({}) as AccountView),
  } satisfies HealthApi
}


describe('event texts', () => {
  const at = new Date(2030, 0, 2, 14, 3, 7).getTime()
  const now = new Date(2030, 0, 2, 14, 0, 0).getTime()

  it('says in words what happened, per kind', () => {
    const text = (kind: string, extra: Partial<RoutingEvent> = {}) => describeEvent(routingEvent(kind, extra), now)
    expect(text('provider_tripped', { provider: 'openai', account: '', model: '', until: at })).toBe(
      'Provider openai tripped: requests go elsewhere until 14:03:07',
    )
    expect(text('provider_recovered', { provider: 'openai', account: '', model: '' })).toBe('Provider openai recovered')
    expect(text('account_quota_exhausted', { model: '*', until: at })).toBe('fake-config/ops is out of quota until 14:03:07')
    expect(text('account_cooling_down', { until: at })).toBe('fake-config/ops is cooling down for limited until 14:03:07')
    expect(text('account_auth_failed', { model: '*' })).toBe('fake-config/ops: authentication failed')
    expect(text('combo_unavailable', { provider: 'smart', account: '', model: '' })).toBe(
      'Combo smart was unavailable: no target could serve',
    )
    expect(text('key_budget', { provider: '', account: 'ci', model: '', until: at })).toBe('Key ci passed 80% of a budget; it resets at 14:03:07')
    expect(text('something_new', { account: '' })).toBe('fake-config: something new')
  })

  it('colours events and labels reasons', () => {
    expect(eventTone('provider_recovered')).toBe('ok')
    expect(eventTone('account_cooling_down')).toBe('warn')
    expect(eventTone('key_budget')).toBe('warn')
    expect(eventTone('provider_tripped')).toBe('error')
    expect(reasonLabel('quota_exhausted')).toBe('Out of quota')
    expect(reasonLabel('rate_limited')).toBe('Rate limited')
    expect(reasonLabel('brand_new')).toBe('Brand new')
    expect(cooldownKey(cooldown('a_1', { model: '*' }))).toBe('a_1|*')
  })
})

describe('HealthStore', () => {
  it('loads breakers, cooldowns and the last 50 events; sorts for display', async () => {
    const soon = new Date(Date.now() + 5_000).toISOString()
    const later = new Date(Date.now() + 50_000).toISOString()
    const client = fakeApi(
      {
        breakers: [breaker('b'), breaker('a', { state: 'half_open' }), breaker('c', { state: 'open' })],
        cooldowns: [cooldown('a_2', { until: later }), cooldown('a_1', { until: soon })],
      },
      [routingEvent('provider_tripped')],
    )
    const store = new HealthStore(client)
    await store.load()
    expect(client.listEvents).toHaveBeenCalledWith(EVENTS_LIMIT)
    expect(EVENTS_LIMIT).toBe(50)
    expect(store.loaded).toBe(true)
    expect(store.sortedBreakers.map((b) => b.provider)).toEqual(['c', 'a', 'b'])
    expect(store.sortedCooldowns.map((c) => c.accountId)).toEqual(['a_1', 'a_2'])
    expect(store.events).toHaveLength(1)
  })

  it('resets one account (provider + account id) or everything, then reloads', async () => {
    const client = fakeApi()
    const store = new HealthStore(client)
    await store.load()
    expect(await store.reset(cooldown('a_1', { provider: 'fake-config' }))).toBe(true)
    expect(client.resetHealth).toHaveBeenLastCalledWith('fake-config', 'a_1')
    expect(await store.resetAll()).toBe(true)
    expect(client.resetHealth).toHaveBeenLastCalledWith('', '')
    expect(store.lastCleared).toBe(1)
    expect(client.getHealth).toHaveBeenCalledTimes(3)

    client.resetHealth.mockRejectedValueOnce(new ApiError(500, 'boom'))
    expect(await store.resetAll()).toBe(false)
    expect(store.resetError).toBe('boom')
    expect(store.resetting).toBeNull()
  })

  it('refreshes every 2 s while visible, without piling up, and keeps the data on failure', async () => {
    const client = fakeApi()
    const p = fakePoller()
    const store = new HealthStore(client, { poller: p.deps })
    await store.load()
    const stop = store.startPolling()
    expect(p.deps.setInterval).toHaveBeenCalledWith(expect.any(Function), HEALTH_REFRESH_MS)
    expect(HEALTH_REFRESH_MS).toBe(2000)

    p.tick()
    p.tick() // still loading: skipped
    await vi.waitFor(() => expect(store.loading).toBe(false))
    expect(client.getHealth).toHaveBeenCalledTimes(2)

    client.getHealth.mockRejectedValueOnce(new ApiError(500, 'internal error'))
    p.tick()
    await vi.waitFor(() => expect(store.error).toBe('internal error'))
    expect(store.cooldowns).toHaveLength(1)

    p.setVisible(false)
    p.tick()
    expect(client.getHealth).toHaveBeenCalledTimes(3)
    stop()
    expect(p.timers.size).toBe(0)
  })
})
