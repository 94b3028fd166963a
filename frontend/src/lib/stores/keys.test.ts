import { describe, expect, it, vi } from 'vitest'
import { ApiError } from '../api/transport'
import type { ApiKey, CreatedKey } from '../api/types'
import { key } from '../../test/fakes'
import { KeysStore, validateKeyName, type KeysApi } from './keys.svelte'

function fakeApi(initial: ApiKey[] = []) {
  let keys = [...initial]
  let n = 0
  const client = {
    listKeys: vi.fn(async () => [...keys]),
    createKey: vi.fn(async (name: string): Promise<CreatedKey> => {
      n++
      const k = key(`k_${n}000`, name, `2025-02-0${n}T00:00:00Z`)
      keys.push(k)
      return { key: k, secret: `sk-sb-secret${n}` }
    }),
    revokeKey: vi.fn(async (id: string) => {
      if (!keys.some((k) => k.id === id)) throw new ApiError(404, 'no such key', 'not_found')
      keys = keys.filter((k) => k.id !== id)
    }),
  } satisfies KeysApi
  return client
}

describe('validateKeyName', () => {
  it('requires a non-blank name of bounded length', () => {
    expect(validateKeyName('')).toMatch(/name/i)
    expect(validateKeyName('   ')).toMatch(/name/i)
    expect(validateKeyName('x'.repeat(65))).toMatch(/65/)
    expect(validateKeyName('x'.repeat(64))).toBeNull()
    expect(validateKeyName(' laptop ')).toBeNull()
  })
})

describe('KeysStore', () => {
  it('loads the keys, newest first', async () => {
    const client = fakeApi([key('k_old1', 'old', '2024-01-01T00:00:00Z'), key('k_new1', 'new', '2025-06-01T00:00:00Z')])
    const store = new KeysStore(client)
    expect(store.loaded).toBe(false)
    await store.load()
    expect(store.loaded).toBe(true)
    expect(store.loading).toBe(false)
    expect(store.items.map((k) => k.name)).toEqual(['new', 'old'])
  })

  it('records a load failure without losing the list', async () => {
    const client = fakeApi([key('k_aaaa', 'a')])
    const store = new KeysStore(client)
    await store.load()
    client.listKeys.mockRejectedValueOnce(new ApiError(500, 'database is locked'))
    await store.load()
    expect(store.error).toBe('database is locked')
    expect(store.items).toHaveLength(1)
    await store.load()
    expect(store.error).toBe('')
  })

  it('creates a key with a trimmed name and reveals the secret once', async () => {
    const client = fakeApi([key('k_aaaa', 'a', '2024-01-01T00:00:00Z')])
    const store = new KeysStore(client)
    await store.load()
    const created = await store.create('  laptop ')
    expect(client.createKey).toHaveBeenCalledWith('laptop')
    expect(created?.secret).toBe('sk-sb-secret1')
    expect(store.revealed?.secret).toBe('sk-sb-secret1')
    expect(store.items[0].name).toBe('laptop')
    expect(store.items).toHaveLength(2)
    expect(store.creating).toBe(false)
    store.dismissSecret()
    expect(store.revealed).toBeNull()
    expect(store.items).toHaveLength(2)
  })

  it('does not call the API for an invalid name', async () => {
    const client = fakeApi()
    const store = new KeysStore(client)
    expect(await store.create('   ')).toBeNull()
    expect(client.createKey).not.toHaveBeenCalled()
    expect(store.createError).not.toBe('')
    expect(store.revealed).toBeNull()
  })

  it('keeps the form error from the server and reveals nothing', async () => {
    const client = fakeApi()
    client.createKey.mockRejectedValueOnce(new ApiError(409, 'a key named "ci" already exists', 'conflict'))
    const store = new KeysStore(client)
    expect(await store.create('ci')).toBeNull()
    expect(store.createError).toBe('a key named "ci" already exists')
    expect(store.revealed).toBeNull()
    expect(store.items).toHaveLength(0)
    await store.create('ci2')
    expect(store.createError).toBe('')
  })

  it('rejects a create answer without a secret', async () => {
    const client = fakeApi()
    client.createKey.mockResolvedValueOnce({ key: key('k_zzzz', 'x'), secret: '' })
    const store = new KeysStore(client)
    expect(await store.create('x')).toBeNull()
    expect(store.createError).toMatch(/did not return/)
    expect(store.items).toHaveLength(0)
  })

  it('revokes a key and drops it (and its revealed secret)', async () => {
    const client = fakeApi()
    const store = new KeysStore(client)
    await store.create('a')
    await store.create('b')
    const a = store.items.find((k) => k.name === 'a')!
    const b = store.items.find((k) => k.name === 'b')!
    expect(store.revealed?.key.id).toBe(b.id)
    expect(await store.revoke(b.id)).toBe(true)
    expect(client.revokeKey).toHaveBeenCalledWith(b.id)
    expect(store.items.map((k) => k.id)).toEqual([a.id])
    expect(store.revealed).toBeNull()
    expect(store.revoking).toBeNull()
  })

  it('keeps the key when revoking fails', async () => {
    const client = fakeApi([key('k_aaaa', 'a')])
    const store = new KeysStore(client)
    await store.load()
    expect(await store.revoke('k_missing')).toBe(false)
    expect(store.revokeError).toBe('no such key')
    expect(store.items).toHaveLength(1)
  })
})
