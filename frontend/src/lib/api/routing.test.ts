// The combo, health and event operations over both transports.

import { describe, expect, it, vi } from 'vitest'
import { api, optionalTime, resetQuery } from './client'
import { ApiError } from './transport'
import type { ComboInput } from './types'
import {
  breaker,
  comboTarget,
  comboView,
  cooldown,
  errorResponse,
  GO_ZERO_TIME,
  installWails,
  modelInfo,
  routingEvent,
  stubBackend,
} from '../../test/fakes'

const input: ComboInput = {
  name: 'smart',
  strategy: 'round-robin',
  sticky: 2,
  budgetMs: 30_000,
  targets: [
    { model: 'fakecfg/m1', account: '', weight: 0, onlyWhenExhausted: false },
    { model: 'fake/m1', account: 'dummy', weight: 0, onlyWhenExhausted: true },
  ],
}

describe('combo, health and event operations over HTTP', () => {
  it('map to the contract routes, verbs and bodies', async () => {
    const until = '2030-01-01T10:00:00Z'
    const { calls } = stubBackend((c) => {
      if (c.method === 'GET' && c.url === '/api/combos')
        return [comboView('smart', [comboTarget('fakecfg/m1'), comboTarget('fake/m1', { state: 'cooling', until, note: 'rate_limited' })])]
      if (c.method === 'GET' && c.url === '/api/health')
        return { breakers: [breaker('fake', { state: 'open', openUntil: until })], cooldowns: [cooldown('a_1')] }
      if (c.url.startsWith('/api/health/reset')) return { cleared: 2 }
      if (c.url.startsWith('/api/events/recent')) return [routingEvent('account_cooling_down')]
      if (c.url === '/api/models') return [modelInfo('fakecfg/m1'), modelInfo('smart', { Combo: true })]
      return undefined // 204
    })

    const combos = await api.listCombos()
    expect(combos[0].targets.map((t) => [t.model, t.state, t.until])).toEqual([
      ['fakecfg/m1', 'ok', undefined], // Go's zero time means "no end"
      ['fake/m1', 'cooling', until],
    ])
    expect('until' in combos[0].targets[0]).toBe(false)
    await api.saveCombo(input)
    await api.deleteCombo('my combo/x')
    const health = await api.getHealth()
    expect(health.breakers[0].openUntil).toBe(until)
    expect(health.cooldowns[0].accountId).toBe('a_1')
    expect(await api.resetHealth()).toBe(2)
    expect(await api.resetHealth('fake-config', 'a_1')).toBe(2)
    expect(await api.listEvents()).toHaveLength(1)
    await api.listEvents(10)
    expect((await api.listModels())[1].Combo).toBe(true)

    expect(calls.map((c) => [c.method, c.url, c.body])).toEqual([
      ['GET', '/api/combos', undefined],
      ['POST', '/api/combos', input],
      ['DELETE', '/api/combos/my%20combo%2Fx', undefined],
      ['GET', '/api/health', undefined],
      ['POST', '/api/health/reset', undefined],
      ['POST', '/api/health/reset?provider=fake-config&account=a_1', undefined],
      ['GET', '/api/events/recent?limit=50', undefined],
      ['GET', '/api/events/recent?limit=10', undefined],
      ['GET', '/api/models', undefined],
    ])
  })

  it('turns Go nil slices and zero times into empty lists and absent times', async () => {
    stubBackend((c) => {
      if (c.url === '/api/combos') return [{ ...comboView('x', []), targets: null }]
      if (c.url === '/api/health') return { breakers: [breaker('p', { openUntil: GO_ZERO_TIME })], cooldowns: null }
      return null
    })
    expect((await api.listCombos())[0].targets).toEqual([])
    const h = await api.getHealth()
    expect(h.cooldowns).toEqual([])
    expect(h.breakers[0].openUntil).toBeUndefined()
    expect(await api.listEvents()).toEqual([])
    expect(await api.resetHealth()).toBe(0)
  })

  it('null answers are empty too', async () => {
    stubBackend(() => null)
    expect(await api.listCombos()).toEqual([])
    expect(await api.getHealth()).toEqual({ breakers: [], cooldowns: [], unusable: [] })
  })

  it('surfaces a 400 on save as the user-facing message', async () => {
    stubBackend(() => errorResponse(400, 'combo "smart" target 1 has no model', 'invalid'))
    const err = await api.saveCombo({ ...input, targets: [] }).catch((e) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err.status).toBe(400)
    expect(err.message).toBe('combo "smart" target 1 has no model')
  })
})

describe('combo, health and event operations over Wails bindings', () => {
  it('call the bound methods with the contract arguments and never fetch', async () => {
    const fetchMock = vi.fn()
    vi.stubGlobal('fetch', fetchMock)
    const { App } = installWails({
      ListCombos: async () => [comboView('smart', [comboTarget('a/b', { state: 'unroutable', note: 'nope' })])],
      SaveCombo: async () => null,
      DeleteCombo: async () => null,
      GetHealth: async () => ({ breakers: null, cooldowns: [cooldown('a_9')] }),
      ResetHealth: async () => 3, // the bound method returns the number itself
      ListEvents: async () => [routingEvent('provider_tripped')],
    })

    const combos = await api.listCombos()
    expect(combos[0].targets[0]).toEqual({ model: 'a/b', state: 'unroutable', note: 'nope' })
    await api.saveCombo(input)
    await api.deleteCombo('smart')
    expect((await api.getHealth()).breakers).toEqual([])
    expect(await api.resetHealth('fake-config', 'a_9')).toBe(3)
    expect(await api.resetHealth()).toBe(3)
    expect((await api.listEvents(20))[0].kind).toBe('provider_tripped')
    await api.listEvents()

    expect(App.SaveCombo).toHaveBeenCalledWith(input)
    expect(App.DeleteCombo).toHaveBeenCalledWith('smart')
    expect(App.ResetHealth.mock.calls).toEqual([
      ['fake-config', 'a_9'],
      ['', ''],
    ])
    expect(App.ListEvents.mock.calls).toEqual([[20], [50]])
    expect(fetchMock).not.toHaveBeenCalled()
  })

  it('maps a Go error of SaveCombo to an ApiError', async () => {
    installWails({ SaveCombo: async () => Promise.reject('mgmt: invalid: unknown strategy "x"') })
    const err = await api.saveCombo(input).catch((e) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err.message).toMatch(/unknown strategy/)
  })
})

describe('helpers', () => {
  it('optionalTime drops Go zero times and junk', () => {
    expect(optionalTime(GO_ZERO_TIME)).toBeUndefined()
    expect(optionalTime('')).toBeUndefined()
    expect(optionalTime(undefined)).toBeUndefined()
    expect(optionalTime('not a time')).toBeUndefined()
    expect(optionalTime('2030-01-01T00:00:00Z')).toBe('2030-01-01T00:00:00Z')
  })

  it('resetQuery leaves empty parameters out', () => {
    expect(resetQuery()).toBe('')
    expect(resetQuery('p')).toBe('?provider=p')
    expect(resetQuery('', 'a 1')).toBe('?account=a+1')
  })
})
