// Model aliases (alias → target model) and the routable models they can point at.

import { api, type Api } from '../api/client'
import type { ModelInfo } from '../api/types'
import { m } from '../i18n'

export type AliasesApi = Pick<Api, 'listAliases' | 'setAlias' | 'listModels'>

export interface AliasEntry {
  alias: string
  target: string
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

/** Validate the add-alias form; returns an error message or null. */
export function validateAlias(alias: string, target: string): string | null {
  const a = alias.trim()
  if (!a) return m.al_err_name()
  if (/\s/.test(a)) return m.al_err_spaces()
  if (!target.trim()) return m.al_err_target()
  if (a === target.trim()) return m.al_err_self()
  return null
}

export class AliasesStore {
  items = $state<AliasEntry[]>([])
  /** routable models, for the target picker */
  models = $state<ModelInfo[]>([])
  loaded = $state(false)
  loading = $state(false)
  error = $state('')
  saving = $state(false)
  saveError = $state('')
  /** alias being deleted */
  removing = $state<string | null>(null)
  removeError = $state('')

  private client: AliasesApi

  constructor(client: AliasesApi = api) {
    this.client = client
  }

  /** ids of the routable models (aliases excluded), for a datalist */
  get targetIds(): string[] {
    return [...new Set(this.models.filter((m) => !m.Alias).map((m) => m.ID))].sort()
  }

  async load(): Promise<void> {
    this.loading = true
    try {
      const [aliases, models] = await Promise.all([this.client.listAliases(), this.client.listModels()])
      this.items = toEntries(aliases)
      this.models = models
      this.error = ''
      this.loaded = true
    } catch (e) {
      this.error = message(e)
    } finally {
      this.loading = false
    }
  }

  /** Re-read the routable models (after providers changed). */
  async loadModels(): Promise<void> {
    try {
      this.models = await this.client.listModels()
    } catch (e) {
      this.error = message(e)
    }
  }

  async set(rawAlias: string, rawTarget: string): Promise<boolean> {
    const invalid = validateAlias(rawAlias, rawTarget)
    if (invalid) {
      this.saveError = invalid
      return false
    }
    const alias = rawAlias.trim()
    const target = rawTarget.trim()
    this.saving = true
    this.saveError = ''
    try {
      await this.client.setAlias(alias, target)
      this.items = toEntries({ ...fromEntries(this.items), [alias]: target })
      await this.reloadQuietly()
      return true
    } catch (e) {
      this.saveError = message(e)
      return false
    } finally {
      this.saving = false
    }
  }

  async remove(alias: string): Promise<boolean> {
    this.removing = alias
    this.removeError = ''
    try {
      await this.client.setAlias(alias, '')
      this.items = this.items.filter((a) => a.alias !== alias)
      await this.reloadQuietly()
      return true
    } catch (e) {
      this.removeError = message(e)
      return false
    } finally {
      this.removing = null
    }
  }

  /** the effective aliases may differ from what was sent (config-file aliases win) */
  private async reloadQuietly(): Promise<void> {
    try {
      const [aliases, models] = await Promise.all([this.client.listAliases(), this.client.listModels()])
      this.items = toEntries(aliases)
      this.models = models
    } catch {
      /* keep the optimistic list */
    }
  }
}

function toEntries(m: Record<string, string>): AliasEntry[] {
  return Object.entries(m ?? {})
    .map(([alias, target]) => ({ alias, target }))
    .sort((a, b) => a.alias.localeCompare(b.alias))
}

function fromEntries(items: AliasEntry[]): Record<string, string> {
  return Object.fromEntries(items.map((i) => [i.alias, i.target]))
}

export const aliasesStore = new AliasesStore()
