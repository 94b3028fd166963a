// API keys of the gateway: list, create (the secret is revealed once), revoke.

import { api, type Api } from '../api/client'
import type { ApiKey, CreatedKey } from '../api/types'
import { m } from '../i18n'

export const KEY_NAME_MAX = 64

export type KeysApi = Pick<Api, 'listKeys' | 'createKey' | 'revokeKey'>

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

function newestFirst(a: ApiKey, b: ApiKey): number {
  return (b.createdAt || '').localeCompare(a.createdAt || '')
}

/** Validate a key name; returns an error message or null when valid. */
export function validateKeyName(raw: string): string | null {
  const name = raw.trim()
  if (!name) return m.keys_name_required()
  if (name.length > KEY_NAME_MAX) return m.keys_name_too_long({ max: KEY_NAME_MAX + 1 })
  return null
}

export class KeysStore {
  items = $state<ApiKey[]>([])
  loaded = $state(false)
  loading = $state(false)
  /** failure to load the list */
  error = $state('')
  creating = $state(false)
  createError = $state('')
  /** id of the key being revoked */
  revoking = $state<string | null>(null)
  revokeError = $state('')
  /** the freshly created key and its secret: shown once, then dismissed for good */
  revealed = $state<CreatedKey | null>(null)

  private client: KeysApi

  constructor(client: KeysApi = api) {
    this.client = client
  }

  async load(): Promise<void> {
    this.loading = true
    try {
      const list = await this.client.listKeys()
      this.items = [...(list ?? [])].sort(newestFirst)
      this.error = ''
      this.loaded = true
    } catch (e) {
      this.error = message(e)
    } finally {
      this.loading = false
    }
  }

  /** Create a key; on success the secret is kept in `revealed` until dismissed. */
  async create(rawName: string): Promise<CreatedKey | null> {
    const invalid = validateKeyName(rawName)
    if (invalid) {
      this.createError = invalid
      return null
    }
    this.creating = true
    this.createError = ''
    try {
      const created = await this.client.createKey(rawName.trim())
      if (!created?.key || !created.secret) throw new Error(m.keys_no_secret())
      this.items = [created.key, ...this.items.filter((k) => k.id !== created.key.id)]
      this.revealed = created
      return created
    } catch (e) {
      this.createError = message(e)
      return null
    } finally {
      this.creating = false
    }
  }

  async revoke(id: string): Promise<boolean> {
    this.revoking = id
    this.revokeError = ''
    try {
      await this.client.revokeKey(id)
      this.items = this.items.filter((k) => k.id !== id)
      if (this.revealed?.key.id === id) this.revealed = null
      return true
    } catch (e) {
      this.revokeError = message(e)
      return false
    } finally {
      this.revoking = null
    }
  }

  /** Forget the one-time secret (it cannot be shown again). */
  dismissSecret(): void {
    this.revealed = null
  }
}

export const keysStore = new KeysStore()
