import { describe, expect, it, vi } from 'vitest'
import { ApiError } from '../api/transport'
import type { ModelInfo } from '../api/types'
import { AliasesStore, validateAlias, type AliasesApi } from './aliases.svelte'

const model = (ID: string, Alias = false): ModelInfo => ({
  ID,
  Provider: ID.split('/')[0],
  Upstream: ID.split('/')[1] ?? ID,
  Context: 0,
  MaxOutput: 0,
  Embedding: false,
  Alias,
})

function fakeApi(initial: Record<string, string> = {}) {
  let aliases = { ...initial }
  return {
    listAliases: vi.fn(async () => ({ ...aliases })),
    listModels: vi.fn(async () => [model('openai/gpt-4o'), model('groq/llama'), ...Object.keys(aliases).map((a) => model(a, true))]),
    setAlias: vi.fn(async (alias: string, target: string) => {
      if (target) aliases[alias] = target
      else delete aliases[alias]
    }),
  } satisfies AliasesApi
}

describe('validateAlias', () => {
  it('needs a name without spaces and a different target', () => {
    expect(validateAlias('', 'x/y')).toMatch(/name/)
    expect(validateAlias('my fast', 'x/y')).toMatch(/spaces/)
    expect(validateAlias('fast', ' ')).toMatch(/model/)
    expect(validateAlias('fast', 'fast')).toMatch(/itself/)
    expect(validateAlias(' fast ', 'groq/llama')).toBeNull()
  })
})

describe('AliasesStore', () => {
  it('loads aliases sorted and offers the routable non-alias models as targets', async () => {
    const store = new AliasesStore(fakeApi({ zeta: 'groq/llama', alpha: 'openai/gpt-4o' }))
    await store.load()
    expect(store.items).toEqual([
      { alias: 'alpha', target: 'openai/gpt-4o' },
      { alias: 'zeta', target: 'groq/llama' },
    ])
    expect(store.targetIds).toEqual(['groq/llama', 'openai/gpt-4o'])
  })

  it('sets an alias with trimmed values and deletes one with an empty target', async () => {
    const client = fakeApi()
    const store = new AliasesStore(client)
    await store.load()
    expect(await store.set(' fast ', ' groq/llama ')).toBe(true)
    expect(client.setAlias).toHaveBeenCalledWith('fast', 'groq/llama')
    expect(store.items).toEqual([{ alias: 'fast', target: 'groq/llama' }])
    expect(await store.remove('fast')).toBe(true)
    expect(client.setAlias).toHaveBeenLastCalledWith('fast', '')
    expect(store.items).toEqual([])
  })

  it('keeps invalid input and server errors on the form', async () => {
    const client = fakeApi()
    const store = new AliasesStore(client)
    expect(await store.set('', 'x')).toBe(false)
    expect(client.setAlias).not.toHaveBeenCalled()
    expect(store.saveError).toMatch(/name/)
    client.setAlias.mockRejectedValueOnce(new ApiError(400, 'alias "gpt" shadows a model', 'invalid'))
    expect(await store.set('gpt', 'openai/gpt-4o')).toBe(false)
    expect(store.saveError).toBe('alias "gpt" shadows a model')
    expect(store.items).toEqual([])
  })
})
