// The cost and Analytics operations over both transports.

import { describe, expect, it } from 'vitest'
import { analyticsApi, analyticsQuery } from './analytics'
import { errorResponse, installWails, stubBackend } from '../../test/fakes'

const report = { from: 1, to: 2, bucket: 'hour', groupBy: 'tool', totals: { requests: 3 }, series: null, breakdown: null, latency: null, topSpenders: null }

describe('analytics operations over HTTP', () => {
  it('map to the contract routes, verbs and query strings', async () => {
    const { calls } = stubBackend((c) => {
      if (c.method === 'GET' && c.url.startsWith('/api/analytics?')) return report
      if (c.method === 'GET' && c.url === '/api/prices') return null
      if (c.method === 'PUT' && c.url === '/api/prices') return undefined
      if (c.method === 'DELETE' && c.url === '/api/prices?provider=my-llm&model=org%2Fm') return undefined
      if (c.method === 'GET' && c.url === '/api/storage') return { retention: { days: 30, maxDbMib: 1024 } }
      if (c.method === 'PUT' && c.url === '/api/storage/retention') return { retention: c.body }
      if (c.method === 'GET' && c.url === '/api/usage/today') return { costUsd: 1.5 }
      return errorResponse(404, 'no route')
    })
    const r = await analyticsApi.getAnalytics({ from: 1000, to: 2000, bucket: 'day', tzOffsetMin: 120, groupBy: 'tool', key: 'alice' })
    // Go's nil slices arrive as null: lists are always arrays here.
    expect(r.series).toEqual([])
    expect(r.breakdown).toEqual([])
    expect(r.totals.requests).toBe(3)
    expect(await analyticsApi.listPrices()).toEqual([])
    const o = { provider: 'my-llm', model: 'org/m', input: 1, output: 2, cacheRead: 0, cacheWrite: 0, reasoning: 0 }
    await analyticsApi.setPrice(o)
    await analyticsApi.deletePrice('my-llm', 'org/m')
    expect((await analyticsApi.getStorage()).retention.days).toBe(30)
    expect((await analyticsApi.saveRetention({ days: 7, maxDbMib: 64 })).retention).toEqual({ days: 7, maxDbMib: 64 })
    expect((await analyticsApi.todayUsage()).costUsd).toBe(1.5)
    expect(calls.map((c) => [c.method, c.url, c.body])).toEqual([
      ['GET', '/api/analytics?from=1000&to=2000&bucket=day&tz=120&groupBy=tool&key=alice', undefined],
      ['GET', '/api/prices', undefined],
      ['PUT', '/api/prices', o],
      ['DELETE', '/api/prices?provider=my-llm&model=org%2Fm', undefined],
      ['GET', '/api/storage', undefined],
      ['PUT', '/api/storage/retention', { days: 7, maxDbMib: 64 }],
      ['GET', '/api/usage/today', undefined],
    ])
  })

  it('rejects with the server message', async () => {
    stubBackend(() => errorResponse(400, 'groupBy "colour" is not one of provider, …', 'invalid'))
    await expect(analyticsApi.getAnalytics({ from: 1, to: 2 })).rejects.toMatchObject({ status: 400, message: 'groupBy "colour" is not one of provider, …' })
  })

  it('leaves empty fields out of the query', () => {
    expect(analyticsQuery({ from: 5, to: 9, provider: '', tool: 'codex' })).toBe('?from=5&to=9&tool=codex')
  })
})

describe('analytics operations over Wails bindings', () => {
  it('call the bound methods with the same arguments', async () => {
    const { App } = installWails({
      GetAnalytics: async () => report,
      ListPrices: async () => [{ provider: 'openai', model: 'gpt-5' }],
      SetPrice: async () => undefined,
      DeletePrice: async () => undefined,
      GetStorage: async () => ({ retention: { days: 30, maxDbMib: 1024 } }),
      SaveRetention: async (r: unknown) => ({ retention: r }),
      GetTodayUsage: async () => ({ costUsd: 0.25 }),
    })
    const q = { from: 1, to: 2, groupBy: 'model' as const }
    expect((await analyticsApi.getAnalytics(q)).latency).toEqual([])
    expect(App.GetAnalytics).toHaveBeenCalledWith(q)
    expect(await analyticsApi.listPrices()).toHaveLength(1)
    await analyticsApi.deletePrice('a', 'b')
    expect(App.DeletePrice).toHaveBeenCalledWith('a', 'b')
    await analyticsApi.saveRetention({ days: 3, maxDbMib: 32 })
    expect(App.SaveRetention).toHaveBeenCalledWith({ days: 3, maxDbMib: 32 })
    expect((await analyticsApi.todayUsage()).costUsd).toBe(0.25)
  })
})
