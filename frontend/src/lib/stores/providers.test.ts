import { describe, expect, it, vi } from 'vitest'
import { ApiError } from '../api/transport'
import type { AccountInput, ProviderInput, ProviderView } from '../api/types'
import { account, catalogEntry, providerView } from '../../test/fakes'
import {
  accountInput,
  customProviderInput,
  emptyAccountDraft,
  emptyCustomProviderDraft,
  parseModels,
  ProvidersStore,
  type ProvidersApi,
} from './providers.svelte'

function fakeApi(initial: ProviderView[] = []) {
  let providers = structuredClone(initial)
  let n = 0
  const client = {
    getCatalog: vi.fn(async () => [
      catalogEntry('ollama', 'local'),
      catalogEntry('openai', 'api-key'),
      catalogEntry('glm', 'subscription'),
      catalogEntry('groq', 'cheap'),
      catalogEntry('anthropic', 'api-key'),
    ]),
    listProviders: vi.fn(async () => structuredClone(providers)),
    saveProvider: vi.fn(async (p: ProviderInput) => {
      providers = [...providers.filter((x) => x.id !== p.id), providerView(p.id, [], { prefix: p.prefix || p.id })]
    }),
    deleteProvider: vi.fn(async (id: string) => {
      providers = providers.filter((p) => p.id !== id)
    }),
    addAccount: vi.fn(async (providerId: string, a: AccountInput) => {
      n++
      const view = account(`a_000${n}`, a.name, { last4: a.apiKey.slice(-4) })
      const p = providers.find((x) => x.id === providerId)
      if (p) p.accounts.push(view)
      else providers.push(providerView(providerId, [view]))
      return view
    }),
    updateAccount: vi.fn(async (id: string, patch: { disabled?: boolean }) => {
      for (const p of providers) for (const a of p.accounts) if (a.id === id) Object.assign(a, patch)
    }),
    deleteAccount: vi.fn(async (id: string) => {
      for (const p of providers) p.accounts = p.accounts.filter((a) => a.id !== id)
    }),
    testProvider: vi.fn(async () => [{ ok: true, account: 'work', latencyMs: 12 }]),
    discoverModels: vi.fn(async () => ['m1', 'm2']),
  } satisfies ProvidersApi
  return client
}

describe('form validation', () => {
  it('builds the add-account body from the form, limits optional', () => {
    expect(accountInput({ ...emptyAccountDraft(), name: ' work ', apiKey: ' sk-abc ' })).toEqual({
      input: { name: 'work', apiKey: 'sk-abc', priority: 0, maxConcurrent: 0, rpm: 0 },
    })
    expect(accountInput({ name: 'w', apiKey: 'k', priority: '-1', maxConcurrent: '4', rpm: ' 60 ' })).toEqual({
      input: { name: 'w', apiKey: 'k', priority: -1, maxConcurrent: 4, rpm: 60 },
    })
    expect(accountInput({ ...emptyAccountDraft(), name: '  ' })).toHaveProperty('error')
    expect(accountInput({ ...emptyAccountDraft(), name: 'w', rpm: '-5' })).toEqual({ error: 'Requests per minute must not be negative.' })
    expect(accountInput({ ...emptyAccountDraft(), name: 'w', maxConcurrent: '2.5' })).toHaveProperty('error')
  })

  it('splits comma-separated models', () => {
    expect(parseModels(' a, b,,c , a ')).toEqual(['a', 'b', 'c'])
    expect(parseModels('')).toEqual([])
  })

  it('builds the custom-provider body and rejects bad ids and URLs', () => {
    const d = { ...emptyCustomProviderDraft(), id: 'fake', baseUrl: 'http://127.0.0.1:9/v1', prefix: 'fk', models: 'm1, m2', allowLocal: true }
    expect(customProviderInput(d)).toEqual({
      input: {
        id: 'fake',
        type: 'openai-compatible',
        name: '',
        prefix: 'fk',
        baseUrl: 'http://127.0.0.1:9/v1',
        allowLocal: true,
        models: ['m1', 'm2'],
        disabled: false,
      },
    })
    expect(customProviderInput({ ...d, id: '' })).toHaveProperty('error')
    expect(customProviderInput({ ...d, id: 'My Server' })).toHaveProperty('error')
    expect(customProviderInput({ ...d, prefix: 'X/y' })).toHaveProperty('error')
    expect(customProviderInput({ ...d, baseUrl: 'localhost:8000' })).toHaveProperty('error')
    expect(customProviderInput({ ...d, baseUrl: 'ftp://x/v1' })).toHaveProperty('error')
  })
})

describe('ProvidersStore', () => {
  it('loads the catalog and the configured providers, the catalog grouped in tier order', async () => {
    const store = new ProvidersStore(fakeApi([providerView('openai', [account('a_1111', 'work')])]))
    await store.load()
    expect(store.loaded).toBe(true)
    expect(store.providers.map((p) => p.id)).toEqual(['openai'])
    expect([...store.configuredIds]).toEqual(['openai'])
    expect(store.catalogByTier.map((g) => [g.tier.id, g.entries.map((e) => e.id)])).toEqual([
      ['subscription', ['glm']],
      ['api-key', ['openai', 'anthropic']],
      ['cheap', ['groq']],
      ['local', ['ollama']],
    ])
  })

  it('keeps what it had when loading fails', async () => {
    const client = fakeApi([providerView('openai', [])])
    const store = new ProvidersStore(client)
    await store.load()
    client.listProviders.mockRejectedValueOnce(new ApiError(0, 'Cannot reach Switchboard.'))
    await store.load()
    expect(store.error).toBe('Cannot reach Switchboard.')
    expect(store.providers).toHaveLength(1)
  })

  it('adds an account (configuring a catalog provider) and re-reads the providers', async () => {
    const client = fakeApi()
    const store = new ProvidersStore(client)
    await store.load()
    const added = await store.addAccount('openai', { ...emptyAccountDraft(), name: 'work', apiKey: 'sk-live-abcd', rpm: '30' })
    expect(added?.last4).toBe('abcd')
    expect(client.addAccount).toHaveBeenCalledWith('openai', { name: 'work', apiKey: 'sk-live-abcd', priority: 0, maxConcurrent: 0, rpm: 30 })
    expect(store.providers.map((p) => p.id)).toEqual(['openai'])
    expect(store.providers[0].accounts[0].last4).toBe('abcd')
    expect(store.adding).toBeNull()
    expect(store.addErrors).toEqual({})
  })

  it('shows add-account errors per provider and does not call the API for an invalid form', async () => {
    const client = fakeApi()
    const store = new ProvidersStore(client)
    expect(await store.addAccount('openai', emptyAccountDraft())).toBeNull()
    expect(client.addAccount).not.toHaveBeenCalled()
    expect(store.addErrors.openai).toMatch(/name/)

    client.addAccount.mockRejectedValueOnce(new ApiError(400, 'provider "openai" already has an account named "w"', 'invalid'))
    expect(await store.addAccount('openai', { ...emptyAccountDraft(), name: 'w' })).toBeNull()
    expect(store.addErrors.openai).toBe('provider "openai" already has an account named "w"')
    expect(store.addErrors.groq).toBeUndefined()

    await store.addAccount('openai', { ...emptyAccountDraft(), name: 'w2', apiKey: 'sk-zzzzzz' })
    expect(store.addErrors.openai).toBeUndefined()
  })

  it('disables, enables and removes accounts', async () => {
    const client = fakeApi([providerView('openai', [account('a_1111', 'work')])])
    const store = new ProvidersStore(client)
    await store.load()
    expect(await store.setAccountDisabled('openai', 'a_1111', true)).toBe(true)
    expect(client.updateAccount).toHaveBeenCalledWith('a_1111', { disabled: true })
    expect(store.providers[0].accounts[0].disabled).toBe(true)
    await store.setAccountDisabled('openai', 'a_1111', false)
    expect(store.providers[0].accounts[0].disabled).toBe(false)
    expect(await store.removeAccount('openai', 'a_1111')).toBe(true)
    expect(client.deleteAccount).toHaveBeenCalledWith('a_1111')
    expect(store.providers[0].accounts).toEqual([])
    expect(store.busyAccount).toBeNull()
  })

  it('records an account action failure on its provider', async () => {
    const client = fakeApi([providerView('openai', [account('a_1111', 'work')])])
    client.deleteAccount.mockRejectedValueOnce(new ApiError(404, 'no such account'))
    const store = new ProvidersStore(client)
    await store.load()
    expect(await store.removeAccount('openai', 'a_1111')).toBe(false)
    expect(store.actionErrors.openai).toBe('no such account')
    expect(store.providers[0].accounts).toHaveLength(1)
  })

  it('tests a provider and keeps the results (or the failure) per provider', async () => {
    const client = fakeApi([providerView('openai', [account('a_1111', 'work')])])
    const store = new ProvidersStore(client)
    const p = store.test('openai')
    expect(store.tests.openai.running).toBe(true)
    await p
    expect(client.testProvider).toHaveBeenCalledWith('openai', '')
    expect(store.tests.openai).toEqual({ running: false, accountId: '', results: [{ ok: true, account: 'work', latencyMs: 12 }], error: '' })

    client.testProvider.mockRejectedValueOnce(new ApiError(400, 'provider "openai" is not configured', 'invalid'))
    expect(await store.test('openai', 'a_1111')).toBeNull()
    expect(client.testProvider).toHaveBeenLastCalledWith('openai', 'a_1111')
    expect(store.tests.openai.error).toBe('provider "openai" is not configured')
  })

  it('saves a custom provider from the form and shows the server error inline', async () => {
    const client = fakeApi()
    const store = new ProvidersStore(client)
    const draft = { ...emptyCustomProviderDraft(), id: 'fake', baseUrl: 'http://127.0.0.1:1/v1', models: 'm1', allowLocal: true }
    expect(await store.saveCustom(draft)).toBe(true)
    expect(client.saveProvider).toHaveBeenCalledWith({
      id: 'fake',
      type: 'openai-compatible',
      name: '',
      prefix: '',
      baseUrl: 'http://127.0.0.1:1/v1',
      allowLocal: true,
      models: ['m1'],
      disabled: false,
    })
    expect(store.providers.map((p) => p.id)).toEqual(['fake'])

    client.saveProvider.mockRejectedValueOnce(new ApiError(400, 'provider "fake": base URL points to a private address', 'invalid'))
    expect(await store.saveCustom({ ...draft, allowLocal: false })).toBe(false)
    expect(store.customError).toMatch(/private address/)
    expect(await store.saveCustom({ ...draft, id: '' })).toBe(false)
    expect(client.saveProvider).toHaveBeenCalledTimes(2)
  })

  it('removes a provider and forgets its test', async () => {
    const client = fakeApi([providerView('fake', [])])
    const store = new ProvidersStore(client)
    await store.load()
    await store.test('fake')
    expect(await store.removeProvider('fake')).toBe(true)
    expect(client.deleteProvider).toHaveBeenCalledWith('fake')
    expect(store.providers).toEqual([])
    expect(store.tests.fake).toBeUndefined()
  })
})
