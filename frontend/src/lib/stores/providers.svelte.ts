// Upstream providers: the catalog of known ones, the configured ones with their
// accounts (keys are only ever seen masked), tests, and custom providers.

import { api, type Api } from '../api/client'
import type {
  AccountInput,
  AccountView,
  CatalogEntry,
  CustomProviderType,
  ProviderInput,
  ProviderView,
  TestResult,
  Tier,
} from '../api/types'
import { m } from '../i18n'

export type ProvidersApi = Pick<
  Api,
  | 'getCatalog'
  | 'listProviders'
  | 'saveProvider'
  | 'deleteProvider'
  | 'addAccount'
  | 'updateAccount'
  | 'deleteAccount'
  | 'testProvider'
  | 'discoverModels'
>

/** a tier with its words read in the active language */
function tier(id: Tier, label: () => string, hint: () => string): { id: Tier; label: string; hint: string } {
  return {
    id,
    get label() {
      return label()
    },
    get hint() {
      return hint()
    },
  }
}

export const TIERS: { id: Tier; label: string; hint: string }[] = [
  tier('subscription', m.providers_tier_subscription, m.providers_tier_subscription_hint),
  tier('api-key', m.providers_tier_api_key, m.providers_tier_api_key_hint),
  tier('cheap', m.providers_tier_cheap, m.providers_tier_cheap_hint),
  tier('free', m.providers_tier_free, m.providers_tier_free_hint),
  tier('local', m.providers_tier_local, m.providers_tier_local_hint),
]

function customType(id: CustomProviderType, label: () => string): { id: CustomProviderType; label: string } {
  return {
    id,
    get label() {
      return label()
    },
  }
}

export const CUSTOM_TYPES: { id: CustomProviderType; label: string }[] = [
  customType('openai-compatible', m.provider_type_openai),
  customType('responses-compatible', m.provider_type_responses),
  customType('anthropic-compatible', m.provider_type_anthropic),
  customType('gemini-compatible', m.provider_type_gemini),
]

/** same rule as the backend: lowercase letters, digits and '-' */
const ID_RE = /^[a-z0-9][a-z0-9-]*$/

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

// ---------------------------------------------------------------------------
// forms

/** What the add-account form holds (limits as typed; empty = no limit). */
export interface AccountDraft {
  name: string
  apiKey: string
  priority: string
  maxConcurrent: string
  rpm: string
}

export function emptyAccountDraft(): AccountDraft {
  return { name: '', apiKey: '', priority: '', maxConcurrent: '', rpm: '' }
}

function whole(raw: string | number, label: string, allowNegative = false): number | string {
  const t = String(raw ?? '').trim()
  if (!t) return 0
  if (!/^-?\d+$/.test(t)) return m.account_err_whole({ label })
  const n = Number(t)
  if (!allowNegative && n < 0) return m.account_err_negative({ label })
  return n
}

/** Validate the add-account form; returns the request body or a message. */
export function accountInput(d: AccountDraft): { input: AccountInput } | { error: string } {
  const name = d.name.trim()
  if (!name) return { error: m.account_err_name() }
  const priority = whole(d.priority, m.account_priority(), true)
  const maxConcurrent = whole(d.maxConcurrent, m.account_max_concurrent_long())
  const rpm = whole(d.rpm, m.account_rpm_long())
  for (const v of [priority, maxConcurrent, rpm]) if (typeof v === 'string') return { error: v }
  return {
    input: {
      name,
      apiKey: d.apiKey.trim(),
      priority: priority as number,
      maxConcurrent: maxConcurrent as number,
      rpm: rpm as number,
    },
  }
}

export interface CustomProviderDraft {
  id: string
  type: CustomProviderType
  baseUrl: string
  prefix: string
  /** comma-separated model ids */
  models: string
  allowLocal: boolean
  /** the upstream's API key ("" for a server that takes none: a keyless account is made) */
  apiKey: string
}

export function emptyCustomProviderDraft(): CustomProviderDraft {
  return { id: '', type: 'openai-compatible', baseUrl: '', prefix: '', models: '', allowLocal: false, apiKey: '' }
}

/** What the edit-in-place form of a configured provider holds. */
export interface ProviderEditDraft {
  name: string
  prefix: string
  /** "" keeps the catalog's */
  baseUrl: string
  type: CustomProviderType | ''
  /** comma-separated model ids ("" keeps the catalog's for a catalog provider) */
  models: string
  allowLocal: boolean
}

export function editDraftOf(p: ProviderView): ProviderEditDraft {
  const catalog = !p.custom
  return {
    name: p.name === p.id ? '' : p.name,
    prefix: p.prefix === p.id ? '' : p.prefix,
    baseUrl: p.baseUrl,
    type: p.type ?? '',
    models: catalog && p.models.length === 0 ? '' : p.models.map((x) => x.id).join(', '),
    allowLocal: !!p.allowLocal,
  }
}

/** Validate an edit; the body SaveProvider takes (same id, disabled kept). */
export function editInput(p: ProviderView, d: ProviderEditDraft): { input: ProviderInput } | { error: string } {
  const prefix = d.prefix.trim()
  if (prefix && !ID_RE.test(prefix)) return { error: m.provider_err_prefix() }
  const baseUrl = d.baseUrl.trim()
  if (p.custom || baseUrl) {
    try {
      const u = new URL(baseUrl)
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error()
    } catch {
      return { error: m.provider_err_base_url() }
    }
  }
  const models = parseModels(d.models)
  if (p.custom && models.length === 0) return { error: m.provider_err_models() }
  return {
    input: {
      id: p.id,
      type: p.custom ? d.type || 'openai-compatible' : '',
      name: d.name.trim(),
      prefix,
      baseUrl,
      allowLocal: d.allowLocal,
      models,
      disabled: p.disabled,
    },
  }
}

/** What the limits editor of an account holds (as typed; empty = no limit). */
export interface LimitsDraft {
  priority: string
  maxConcurrent: string
  rpm: string
}

/** "a, b,,c , a" → ["a","b","c"] */
export function parseModels(raw: string): string[] {
  const out: string[] = []
  for (const part of raw.split(/[,\n]/)) {
    const id = part.trim()
    if (id && !out.includes(id)) out.push(id)
  }
  return out
}

/** Validate the custom-provider form; returns the request body or a message. */
export function customProviderInput(d: CustomProviderDraft): { input: ProviderInput } | { error: string } {
  const id = d.id.trim()
  const prefix = d.prefix.trim()
  const baseUrl = d.baseUrl.trim()
  if (!id) return { error: m.provider_err_id_missing() }
  if (!ID_RE.test(id)) return { error: m.provider_err_id() }
  if (prefix && !ID_RE.test(prefix)) return { error: m.provider_err_prefix() }
  if (!CUSTOM_TYPES.some((t) => t.id === d.type)) return { error: m.provider_err_type() }
  let url: URL
  try {
    url = new URL(baseUrl)
  } catch {
    return { error: m.provider_err_base_url() }
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { error: m.provider_err_scheme() }
  const input: ProviderInput = {
    id,
    type: d.type,
    name: '',
    prefix,
    baseUrl,
    allowLocal: d.allowLocal,
    models: parseModels(d.models),
    disabled: false,
  }
  if (d.apiKey.trim()) input.apiKey = d.apiKey.trim()
  return { input }
}

// ---------------------------------------------------------------------------

export interface TestState {
  running: boolean
  /** which account was tested ("" = all) */
  accountId: string
  results: TestResult[]
  error: string
}

export class ProvidersStore {
  catalog = $state<CatalogEntry[]>([])
  providers = $state<ProviderView[]>([])
  loaded = $state(false)
  loading = $state(false)
  /** failure to load */
  error = $state('')

  /** provider id whose add-account request is in flight */
  adding = $state<string | null>(null)
  /** provider id → add-account form error */
  addErrors = $state<Record<string, string>>({})
  /** account id with a request in flight (disable/enable/remove) */
  busyAccount = $state<string | null>(null)
  /** provider id → error of an action on the provider or one of its accounts */
  actionErrors = $state<Record<string, string>>({})
  /** provider id → last test */
  tests = $state<Record<string, TestState>>({})
  savingCustom = $state(false)
  customError = $state('')
  removingProvider = $state<string | null>(null)
  /** the catalog filter (name, id, prefix or model) */
  catalogQuery = $state('')
  /** the provider being saved from its edit form */
  savingEdit = $state<string | null>(null)
  editErrors = $state<Record<string, string>>({})
  /** model discovery, by form key ("custom" or a provider id) */
  discovering = $state<string | null>(null)
  discoverErrors = $state<Record<string, string>>({})

  private client: ProvidersApi

  constructor(client: ProvidersApi = api) {
    this.client = client
  }

  /** ids of the configured providers */
  get configuredIds(): Set<string> {
    return new Set(this.providers.map((p) => p.id))
  }

  /** the catalog grouped by tier, in tier order (empty tiers left out) */
  get catalogByTier(): { tier: (typeof TIERS)[number]; entries: CatalogEntry[] }[] {
    const q = this.catalogQuery.trim().toLowerCase()
    const hit = (e: CatalogEntry) =>
      !q ||
      [e.name, e.id, e.prefix, e.dialect].some((v) => v.toLowerCase().includes(q)) ||
      e.models.some((x) => x.id.toLowerCase().includes(q))
    const shown = this.catalog.filter(hit)
    const groups = TIERS.map((tier) => ({ tier, entries: shown.filter((e) => e.tier === tier.id) }))
    const other = shown.filter((e) => !TIERS.some((t) => t.id === e.tier))
    if (other.length) groups.push({ tier: { id: 'api-key', label: m.providers_tier_other(), hint: '' }, entries: other })
    return groups.filter((g) => g.entries.length > 0)
  }

  async load(): Promise<void> {
    this.loading = true
    try {
      const [catalog, providers] = await Promise.all([this.client.getCatalog(), this.client.listProviders()])
      this.catalog = catalog
      this.providers = providers
      this.error = ''
      this.loaded = true
    } catch (e) {
      this.error = message(e)
    } finally {
      this.loading = false
    }
  }

  /** Re-read the configured providers (after a change). */
  async refresh(): Promise<void> {
    try {
      this.providers = await this.client.listProviders()
      this.error = ''
    } catch (e) {
      this.error = message(e)
    }
  }

  private setError(
    map: 'addErrors' | 'actionErrors' | 'editErrors' | 'discoverErrors',
    providerId: string,
    msg: string,
  ): void {
    const next = { ...this[map] }
    if (msg) next[providerId] = msg
    else delete next[providerId]
    this[map] = next
  }

  /** Add an account (configures a catalog provider that is not configured yet). */
  async addAccount(providerId: string, draft: AccountDraft): Promise<AccountView | null> {
    const v = accountInput(draft)
    if ('error' in v) {
      this.setError('addErrors', providerId, v.error)
      return null
    }
    this.adding = providerId
    this.setError('addErrors', providerId, '')
    try {
      const created = await this.client.addAccount(providerId, v.input)
      await this.refresh()
      return created ?? ({ id: '', name: v.input.name } as AccountView)
    } catch (e) {
      this.setError('addErrors', providerId, message(e))
      return null
    } finally {
      this.adding = null
    }
  }

  async setAccountDisabled(providerId: string, accountId: string, disabled: boolean): Promise<boolean> {
    return this.accountAction(providerId, accountId, () => this.client.updateAccount(accountId, { disabled }))
  }

  async removeAccount(providerId: string, accountId: string): Promise<boolean> {
    return this.accountAction(providerId, accountId, () => this.client.deleteAccount(accountId))
  }

  private async accountAction(providerId: string, accountId: string, run: () => Promise<void>): Promise<boolean> {
    this.busyAccount = accountId
    this.setError('actionErrors', providerId, '')
    try {
      await run()
      await this.refresh()
      return true
    } catch (e) {
      this.setError('actionErrors', providerId, message(e))
      return false
    } finally {
      this.busyAccount = null
    }
  }

  /** Send a tiny real request with every account of the provider (or one). */
  async test(providerId: string, accountId = ''): Promise<TestResult[] | null> {
    this.tests = { ...this.tests, [providerId]: { running: true, accountId, results: [], error: '' } }
    try {
      const results = await this.client.testProvider(providerId, accountId)
      this.tests = { ...this.tests, [providerId]: { running: false, accountId, results, error: '' } }
      await this.refresh() // its tested state changed
      return results
    } catch (e) {
      this.tests = { ...this.tests, [providerId]: { running: false, accountId, results: [], error: message(e) } }
      return null
    }
  }

  /** Add (or replace) a custom provider from the form. */
  async saveCustom(draft: CustomProviderDraft): Promise<boolean> {
    const v = customProviderInput(draft)
    if ('error' in v) {
      this.customError = v.error
      return false
    }
    this.savingCustom = true
    this.customError = ''
    try {
      await this.client.saveProvider(v.input)
      await this.refresh()
      return true
    } catch (e) {
      this.customError = message(e)
      return false
    } finally {
      this.savingCustom = false
    }
  }

  /** Save an edit of a configured provider (URL, models, prefix, name). */
  async saveEdit(p: ProviderView, draft: ProviderEditDraft): Promise<boolean> {
    const v = editInput(p, draft)
    if ('error' in v) {
      this.setError('editErrors', p.id, v.error)
      return false
    }
    this.savingEdit = p.id
    this.setError('editErrors', p.id, '')
    try {
      await this.client.saveProvider(v.input)
      await this.refresh()
      return true
    } catch (e) {
      this.setError('editErrors', p.id, message(e))
      return false
    } finally {
      this.savingEdit = null
    }
  }

  /** Change an account's priority and limits. */
  async saveLimits(providerId: string, accountId: string, d: LimitsDraft): Promise<boolean> {
    const priority = whole(d.priority, m.account_priority(), true)
    const maxConcurrent = whole(d.maxConcurrent, m.account_max_concurrent_long())
    const rpm = whole(d.rpm, m.account_rpm_long())
    for (const v of [priority, maxConcurrent, rpm])
      if (typeof v === 'string') {
        this.setError('actionErrors', providerId, v)
        return false
      }
    return this.accountAction(providerId, accountId, () =>
      this.client.updateAccount(accountId, {
        priority: priority as number,
        maxConcurrent: maxConcurrent as number,
        rpm: rpm as number,
      }),
    )
  }

  /**
   * Ask the upstream for its model list (key: "custom" for the add form, else
   * the provider id). Returns the ids, or null with the reason in discoverErrors.
   */
  async discover(key: string, input: ProviderInput): Promise<string[] | null> {
    this.discovering = key
    this.setError('discoverErrors', key, '')
    try {
      const ids = await this.client.discoverModels(input)
      if (ids.length === 0) this.setError('discoverErrors', key, m.provider_err_no_models_listed())
      return ids
    } catch (e) {
      this.setError('discoverErrors', key, message(e))
      return null
    } finally {
      this.discovering = null
    }
  }

  /** Remove a provider kept by the app (with its accounts). */
  async removeProvider(id: string): Promise<boolean> {
    this.removingProvider = id
    this.setError('actionErrors', id, '')
    try {
      await this.client.deleteProvider(id)
      await this.refresh()
      const { [id]: _gone, ...rest } = this.tests
      this.tests = rest
      return true
    } catch (e) {
      this.setError('actionErrors', id, message(e))
      return false
    } finally {
      this.removingProvider = null
    }
  }
}

export const providersStore = new ProvidersStore()
