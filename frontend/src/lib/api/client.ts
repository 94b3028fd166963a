// Typed operations of the management API. Each one names its bound Go method
// (Wails window) and its HTTP route (browser); transport.ts picks the channel.
// A later page adds its operations here (or in a sibling file) the same way.

import { call } from './transport'
import type {
  AccountInput,
  AccountPatch,
  AccountView,
  Aliases,
  ApiKey,
  CatalogEntry,
  CreatedKey,
  LogFilter,
  LogRow,
  ModelInfo,
  ProviderInput,
  ProviderView,
  Settings,
  Status,
  TestResult,
} from './types'

const seg = encodeURIComponent

/** Go encodes a nil slice as null: lists are always arrays on this side. */
function list<T>(v: T[] | null | undefined): T[] {
  return Array.isArray(v) ? v : []
}

function withModels<T extends { models?: unknown }>(e: T): T {
  return { ...e, models: list(e.models as unknown[] | null) }
}

function providerView(p: ProviderView): ProviderView {
  return { ...withModels(p), accounts: list(p.accounts) }
}

/** A complete log filter (the bound Go method receives every field). */
export function fullLogFilter(f: Partial<LogFilter> = {}): LogFilter {
  return {
    provider: (f.provider ?? '').trim(),
    model: (f.model ?? '').trim(),
    keyName: (f.keyName ?? '').trim(),
    status: f.status ?? '',
    errorKind: (f.errorKind ?? '').trim(),
    limit: f.limit && f.limit > 0 ? Math.floor(f.limit) : 0,
  }
}

/** Query string of GET /api/logs for a filter; empty fields are left out. */
export function logsQuery(f: Partial<LogFilter>): string {
  const full = fullLogFilter(f)
  const q = new URLSearchParams()
  if (full.provider) q.set('provider', full.provider)
  if (full.model) q.set('model', full.model)
  if (full.keyName) q.set('key', full.keyName)
  if (full.status) q.set('status', full.status)
  if (full.errorKind) q.set('errorKind', full.errorKind)
  if (full.limit) q.set('limit', String(full.limit))
  const s = q.toString()
  return s ? `?${s}` : ''
}

export const api = {
  getStatus: () => call<Status>({ bind: 'GetStatus', method: 'GET', path: '/api/status' }),

  listKeys: async () =>
    (await call<ApiKey[] | null>({ bind: 'ListKeys', method: 'GET', path: '/api/keys' })) ?? [],

  createKey: (name: string) =>
    call<CreatedKey>({ bind: 'CreateKey', args: [name], method: 'POST', path: '/api/keys', body: { name } }),

  revokeKey: async (id: string): Promise<void> => {
    await call<null>({
      bind: 'RevokeKey',
      args: [id],
      method: 'DELETE',
      path: `/api/keys/${encodeURIComponent(id)}`,
    })
  },

  getSettings: () => call<Settings>({ bind: 'GetSettings', method: 'GET', path: '/api/settings' }),

  saveSettings: (s: Settings) =>
    call<Settings>({ bind: 'SaveSettings', args: [s], method: 'PUT', path: '/api/settings', body: s }),

  // providers and accounts

  getCatalog: async () =>
    list(await call<CatalogEntry[] | null>({ bind: 'GetCatalog', method: 'GET', path: '/api/catalog' })).map(withModels),

  listProviders: async () =>
    list(await call<ProviderView[] | null>({ bind: 'ListProviders', method: 'GET', path: '/api/providers' })).map(
      providerView,
    ),

  saveProvider: async (p: ProviderInput): Promise<void> => {
    await call<null>({ bind: 'SaveProvider', args: [p], method: 'POST', path: '/api/providers', body: p })
  },

  deleteProvider: async (id: string): Promise<void> => {
    await call<null>({ bind: 'DeleteProvider', args: [id], method: 'DELETE', path: `/api/providers/${seg(id)}` })
  },

  addAccount: (providerId: string, a: AccountInput) =>
    call<AccountView>({
      bind: 'AddAccount',
      args: [providerId, a],
      method: 'POST',
      path: `/api/providers/${seg(providerId)}/accounts`,
      body: a,
    }),

  updateAccount: async (id: string, patch: AccountPatch): Promise<void> => {
    await call<null>({
      bind: 'UpdateAccount',
      args: [id, patch],
      method: 'PATCH',
      path: `/api/accounts/${seg(id)}`,
      body: patch,
    })
  },

  deleteAccount: async (id: string): Promise<void> => {
    await call<null>({ bind: 'DeleteAccount', args: [id], method: 'DELETE', path: `/api/accounts/${seg(id)}` })
  },

  /** Test every account of a provider, or only `accountId`. */
  testProvider: async (providerId: string, accountId = '') =>
    list(
      await call<TestResult[] | null>({
        bind: 'TestProvider',
        args: [providerId, accountId],
        method: 'POST',
        path: `/api/providers/${seg(providerId)}/test${accountId ? `?account=${seg(accountId)}` : ''}`,
      }),
    ),

  // routing

  listModels: async () => list(await call<ModelInfo[] | null>({ bind: 'ListModels', method: 'GET', path: '/api/models' })),

  listAliases: async () =>
    (await call<Aliases | null>({ bind: 'ListAliases', method: 'GET', path: '/api/aliases' })) ?? {},

  /** Create or replace an alias; an empty target deletes it. */
  setAlias: async (alias: string, target: string): Promise<void> => {
    await call<null>({
      bind: 'SetAlias',
      args: [alias, target],
      method: 'PUT',
      path: '/api/aliases',
      body: { Alias: alias, Target: target },
    })
  },

  // request log

  listLogs: async (filter: Partial<LogFilter> = {}) => {
    const f = fullLogFilter(filter)
    return list(
      await call<LogRow[] | null>({ bind: 'ListLogs', args: [f], method: 'GET', path: `/api/logs${logsQuery(f)}` }),
    )
  },
}

export type Api = typeof api

/** Base URLs clients should use, per API dialect, derived from the gateway endpoint. */
export function dialectUrls(endpoint: string): { id: string; label: string; url: string; hint: string }[] {
  const root = endpoint.replace(/\/+$/, '')
  return [
    { id: 'openai', label: 'OpenAI', url: `${root}/v1`, hint: 'OpenAI SDKs and compatible tools (base_url)' },
    { id: 'anthropic', label: 'Anthropic', url: root, hint: 'Anthropic SDK / Claude Code (ANTHROPIC_BASE_URL)' },
    { id: 'gemini', label: 'Gemini', url: `${root}/v1beta`, hint: 'Google Gen AI SDKs (base URL)' },
  ]
}
