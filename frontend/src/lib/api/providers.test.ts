// The provider, alias and log operations over both transports.

import { describe, expect, it, vi } from 'vitest'
import { api, fullLogFilter, logsQuery } from './client'
import { ApiError } from './transport'
import { account, catalogEntry, errorResponse, installWails, logRow, providerView, stubBackend } from '../../test/fakes'

describe('provider operations over HTTP', () => {
  it('map to the contract routes, verbs and bodies', async () => {
    const { calls } = stubBackend((c) => {
      if (c.method === 'GET' && c.url === '/api/catalog') return [catalogEntry('openai', 'api-key')]
      if (c.method === 'GET' && c.url === '/api/providers') return [providerView('openai', [account('a_1234', 'work')])]
      if (c.url.startsWith('/api/providers/my%2Fp/accounts')) return new Response(JSON.stringify(account('a_9999', 'x')), { status: 201 })
      if (c.url.includes('/test')) return [{ ok: true, account: 'work', latencyMs: 42 }]
      if (c.url === '/api/models') return [{ ID: 'openai/gpt', Provider: 'openai', Upstream: 'gpt', Context: 1, MaxOutput: 1, Embedding: false, Alias: false }]
      if (c.url === '/api/aliases' && c.method === 'GET') return { fast: 'openai/gpt' }
      if (c.url.startsWith('/api/logs')) return [logRow('req_1')]
      return undefined // 204
    })

    const input = {
      id: 'my-vllm',
      type: 'openai-compatible' as const,
      name: '',
      prefix: 'vllm',
      baseUrl: 'http://10.0.0.5:8000/v1',
      allowLocal: true,
      models: ['a', 'b'],
      disabled: false,
    }
    const acct = { name: 'work', apiKey: 'sk-secret-1234', priority: 1, maxConcurrent: 2, rpm: 60 }

    expect(await api.getCatalog()).toHaveLength(1)
    expect((await api.listProviders())[0].accounts[0].last4).toBe('1234')
    await api.saveProvider(input)
    await api.deleteProvider('my-vllm')
    expect((await api.addAccount('my/p', acct)).id).toBe('a_9999')
    await api.updateAccount('a_1', { disabled: true })
    await api.deleteAccount('a_1')
    expect(await api.testProvider('openai')).toEqual([{ ok: true, account: 'work', latencyMs: 42 }])
    await api.testProvider('openai', 'a_1')
    expect((await api.listModels())[0].ID).toBe('openai/gpt')
    expect(await api.listAliases()).toEqual({ fast: 'openai/gpt' })
    await api.setAlias('fast', 'openai/gpt')
    await api.setAlias('fast', '')
    expect(await api.listLogs({ provider: 'fake', status: 'error', limit: 50 })).toHaveLength(1)

    expect(calls.map((c) => [c.method, c.url, c.body])).toEqual([
      ['GET', '/api/catalog', undefined],
      ['GET', '/api/providers', undefined],
      ['POST', '/api/providers', input],
      ['DELETE', '/api/providers/my-vllm', undefined],
      ['POST', '/api/providers/my%2Fp/accounts', acct],
      ['PATCH', '/api/accounts/a_1', { disabled: true }],
      ['DELETE', '/api/accounts/a_1', undefined],
      ['POST', '/api/providers/openai/test', undefined],
      ['POST', '/api/providers/openai/test?account=a_1', undefined],
      ['GET', '/api/models', undefined],
      ['GET', '/api/aliases', undefined],
      ['PUT', '/api/aliases', { Alias: 'fast', Target: 'openai/gpt' }],
      ['PUT', '/api/aliases', { Alias: 'fast', Target: '' }],
      ['GET', '/api/logs?provider=fake&status=error&limit=50', undefined],
    ])
  })

  it('sends PATCH bodies as JSON with the session cookie', async () => {
    const { fetchMock } = stubBackend(() => undefined)
    await api.updateAccount('a_1', { name: 'new', rpm: 10 })
    const init = fetchMock.mock.calls[0][1] as RequestInit
    expect(init.method).toBe('PATCH')
    expect(init.credentials).toBe('same-origin')
    expect((init.headers as Record<string, string>)['Content-Type']).toBe('application/json')
    expect(JSON.parse(String(init.body))).toEqual({ name: 'new', rpm: 10 })
  })

  it('turns Go nil slices (null) into empty lists', async () => {
    stubBackend((c) => {
      if (c.url === '/api/providers') return [{ ...providerView('x', []), accounts: null, models: null }]
      if (c.url === '/api/catalog') return [{ ...catalogEntry('y', 'free'), models: null }]
      return null
    })
    const [p] = await api.listProviders()
    expect(p.accounts).toEqual([])
    expect(p.models).toEqual([])
    expect((await api.getCatalog())[0].models).toEqual([])
    expect(await api.testProvider('x')).toEqual([])
    expect(await api.listModels()).toEqual([])
    expect(await api.listAliases()).toEqual({})
    expect(await api.listLogs()).toEqual([])
  })

  it('rejects with the user-facing message of a 400', async () => {
    stubBackend(() => errorResponse(400, 'accounts: invalid: provider "fake" already has an account named "x"', 'invalid'))
    const err = await api.addAccount('fake', { name: 'x', apiKey: 'k', priority: 0, maxConcurrent: 0, rpm: 0 }).catch((e) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err.status).toBe(400)
    expect(err.code).toBe('invalid')
    expect(err.message).toMatch(/already has an account named "x"/)
  })
})

describe('provider operations over Wails bindings', () => {
  it('call the bound methods with the contract argument orders and never fetch', async () => {
    const fetchMock = vi.fn()
    vi.stubGlobal('fetch', fetchMock)
    const { App } = installWails({
      GetCatalog: async () => [catalogEntry('openai', 'api-key')],
      ListProviders: async () => null,
      SaveProvider: async () => null,
      DeleteProvider: async () => null,
      AddAccount: async (_p: string, a: { name: string }) => account('a_5678', a.name),
      UpdateAccount: async () => null,
      DeleteAccount: async () => null,
      TestProvider: async () => [{ ok: false, account: 'work', latencyMs: 3, error: 'HTTP 401' }],
      ListModels: async () => [],
      ListAliases: async () => ({ a: 'b/c' }),
      SetAlias: async () => null,
      ListLogs: async () => [logRow('req_w')],
    })

    const input = {
      id: 'p',
      type: 'anthropic-compatible' as const,
      name: '',
      prefix: '',
      baseUrl: 'https://x.example',
      allowLocal: false,
      models: [],
      disabled: false,
    }
    const acct = { name: 'work', apiKey: 'sk-1', priority: 0, maxConcurrent: 0, rpm: 0 }
    expect(await api.getCatalog()).toHaveLength(1)
    expect(await api.listProviders()).toEqual([])
    await api.saveProvider(input)
    await api.deleteProvider('p')
    expect((await api.addAccount('p', acct)).last4).toBe('5678')
    await api.updateAccount('a_5678', { disabled: false, priority: 3 })
    await api.deleteAccount('a_5678')
    expect((await api.testProvider('p', 'a_5678'))[0].error).toBe('HTTP 401')
    await api.testProvider('p')
    await api.listModels()
    expect(await api.listAliases()).toEqual({ a: 'b/c' })
    await api.setAlias('a', '')
    expect(await api.listLogs({ keyName: 'laptop', errorKind: 'rate_limit' })).toHaveLength(1)

    expect(App.SaveProvider).toHaveBeenCalledWith(input)
    expect(App.DeleteProvider).toHaveBeenCalledWith('p')
    expect(App.AddAccount).toHaveBeenCalledWith('p', acct)
    expect(App.UpdateAccount).toHaveBeenCalledWith('a_5678', { disabled: false, priority: 3 })
    expect(App.DeleteAccount).toHaveBeenCalledWith('a_5678')
    expect(App.TestProvider.mock.calls).toEqual([
      ['p', 'a_5678'],
      ['p', ''],
    ])
    expect(App.SetAlias).toHaveBeenCalledWith('a', '')
    // the bound method gets the whole filter object
    expect(App.ListLogs).toHaveBeenCalledWith(fullLogFilter({ keyName: 'laptop', errorKind: 'rate_limit' }))
    expect(Object.keys(App.ListLogs.mock.calls[0][0]).sort()).toEqual(
      ['account', 'before', 'cursorId', 'cursorTs', 'dialect', 'errorKind', 'keyName', 'limit', 'model', 'provider', 'q', 'since', 'status', 'stream'],
    )
    expect(fetchMock).not.toHaveBeenCalled()
  })

  it('maps a Go error of a bound call to an ApiError', async () => {
    installWails({ SaveProvider: async () => Promise.reject('mgmt: invalid: provider "x": base URL is required') })
    const err = await api
      .saveProvider({ id: 'x', type: '', name: '', prefix: '', baseUrl: '', allowLocal: false, models: [], disabled: false })
      .catch((e) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err.message).toMatch(/base URL is required/)
  })
})

describe('log filter', () => {
  it('builds the query with the contract parameter names, leaving empty ones out', () => {
    expect(logsQuery({})).toBe('')
    expect(logsQuery({ provider: ' fake ', model: 'fake/m1', keyName: 'laptop', status: 'ok', errorKind: 'rate_limit', limit: 100 })).toBe(
      '?provider=fake&model=fake%2Fm1&key=laptop&status=ok&errorKind=rate_limit&limit=100',
    )
    expect(logsQuery({ status: '', limit: 0 })).toBe('')
  })

  it('completes a partial filter for the bound method', () => {
    expect(fullLogFilter({ model: ' x ', limit: 12.7, stream: 'maybe' as 'yes' })).toEqual({
      provider: '',
      model: 'x',
      keyName: '',
      account: '',
      dialect: '',
      status: '',
      errorKind: '',
      stream: '',
      q: '',
      since: 0,
      before: 0,
      cursorTs: 0,
      cursorId: 0,
      limit: 12,
    })
  })
})
