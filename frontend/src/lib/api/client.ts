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
  ComboInput,
  ComboTargetView,
  ComboView,
  CreatedKey,
  HealthView,
  KeyPolicy,
  LaunchAtLogin,
  LogFacets,
  LogFilter,
  LogRow,
  ModelInfo,
  NotificationPrefs,
  ProviderInput,
  ProviderView,
  QuotaAccount,
  QuotaOverview,
  QuotaProviderLine,
  QuotaWindow,
  RefreshLogEntry,
  RoutingEvent,
  Settings,
  SignInFlow,
  SignInProvider,
  Status,
  TestResult,
  ToolChoice,
  ToolPlan,
  ToolResult,
  ToolsOverview,
  ToolStatus,
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
  return { ...withModels(p), accounts: list(p.accounts).map(accountView) }
}

/**
 * An RFC 3339 time, or undefined when there is none: Go encodes an unset
 * time.Time as "0001-01-01T00:00:00Z" even with omitempty.
 */
export function optionalTime(v: unknown): string | undefined {
  if (typeof v !== 'string' || !v) return undefined
  const t = Date.parse(v)
  return Number.isNaN(t) || t <= 0 ? undefined : v
}

/** Set `o[k]` to `v`, or drop the key when `v` is undefined. */
function setOptional<T extends object, K extends keyof T>(o: T, k: K, v: T[K] | undefined): void {
  if (v === undefined) delete o[k]
  else o[k] = v
}

/** an account with its kind always set and the sign-in times only when they are real */
export function accountView(v: AccountView | null): AccountView {
  const a = (v ?? {}) as AccountView
  const out: AccountView = { ...a, kind: a.kind === 'signin' ? 'signin' : 'key' }
  setOptional(out, 'expiresAt', optionalTime(a.expiresAt))
  setOptional(out, 'refreshedAt', optionalTime(a.refreshedAt))
  setOptional(out, 'tokenState', a.tokenState || undefined)
  return out
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : ''
}

export function signInProvider(p: SignInProvider): SignInProvider {
  return { ...p, riskNote: str(p.riskNote), models: list(p.models), importFrom: str(p.importFrom).trim() }
}

/** a flow with every required field present; the optional ones only when they say something */
export function signInFlow(f: SignInFlow | null): SignInFlow {
  const o = (f ?? {}) as Partial<SignInFlow>
  const out: SignInFlow = {
    id: str(o.id),
    provider: str(o.provider),
    account: str(o.account),
    url: str(o.url),
    manualUrl: str(o.manualUrl),
    status: o.status ?? 'pending',
    opened: o.opened === true,
    device: o.device === true,
  }
  for (const k of ['error', 'accountId', 'email', 'userCode'] as const) if (str(o[k])) out[k] = str(o[k])
  return out
}

function comboTarget(t: ComboTargetView): ComboTargetView {
  const out: ComboTargetView = { ...t, state: t.state || 'ok' }
  const until = optionalTime(t.until)
  if (until) out.until = until
  else delete out.until
  return out
}

function comboView(c: ComboView): ComboView {
  return { ...c, targets: list(c.targets).map(comboTarget) }
}

function healthView(h: HealthView | null): HealthView {
  return {
    breakers: list(h?.breakers).map((b) => {
      const out = { ...b }
      const until = optionalTime(b.openUntil)
      if (until) out.openUntil = until
      else delete out.openUntil
      return out
    }),
    cooldowns: list(h?.cooldowns),
    unusable: list(h?.unusable),
  }
}

/** a window with its optional figures present only when they say something */
export function quotaWindow(v: QuotaWindow | null): QuotaWindow {
  const w = (v ?? {}) as QuotaWindow
  const out: QuotaWindow = {
    ...w,
    label: str(w.label) || str(w.name),
    percent: typeof w.percent === 'number' && Number.isFinite(w.percent) ? w.percent : 0,
    observedAt: str(w.observedAt),
    plan: w.plan === true,
    exhausted: w.exhausted === true,
    stale: w.stale === true,
  }
  setOptional(out, 'resetAt', optionalTime(w.resetAt))
  for (const k of ['remaining', 'limit', 'spanSec'] as const) setOptional(out, k, typeof w[k] === 'number' ? w[k] : undefined)
  return out
}

/** an account's quota: windows always a list, Go's zero times dropped */
export function quotaAccount(v: QuotaAccount | null): QuotaAccount {
  const a = (v ?? {}) as QuotaAccount
  const out: QuotaAccount = { ...a, state: a.state || 'ok', windows: list(a.windows).map(quotaWindow), polled: a.polled === true }
  setOptional(out, 'tightest', a.tightest ? quotaWindow(a.tightest) : undefined)
  for (const k of ['exhaustedUntil', 'lastPollAt', 'nextPollAt'] as const) setOptional(out, k, optionalTime(a[k]))
  setOptional(out, 'pollError', str(a.pollError) || undefined)
  return out
}

function quotaOverview(o: QuotaOverview | null): QuotaOverview {
  return {
    reservePercent: o?.reservePercent ?? 0,
    reserveFromConfig: o?.reserveFromConfig === true,
    thresholdPercent: o?.thresholdPercent ?? 0,
    accounts: list(o?.accounts).map(quotaAccount),
  }
}

function quotaLine(l: QuotaProviderLine): QuotaProviderLine {
  const out: QuotaProviderLine = { ...l, state: l.state || 'ok' }
  setOptional(out, 'window', l.window ? quotaWindow(l.window) : undefined)
  setOptional(out, 'exhaustedUntil', optionalTime(l.exhaustedUntil))
  return out
}

function toolStatus(t: ToolStatus): ToolStatus {
  return { ...t, configPaths: list(t.configPaths), slots: list(t.slots), managed: !!t.managed, installed: !!t.installed }
}

function toolsOverview(v: ToolsOverview | null): ToolsOverview {
  return {
    tools: list(v?.tools).map(toolStatus),
    manual: list(v?.manual),
    snippet: typeof v?.snippet === 'string' ? v.snippet : '',
  }
}

function toolPlan(p: ToolPlan): ToolPlan {
  return { ...p, files: list(p?.files) }
}

function toolResult(r: ToolResult): ToolResult {
  return { ...r, files: list(r?.files), changed: !!r?.changed, warnings: list(r?.warnings) }
}

/**
 * The body of PlanTool/ApplyTool: the model trimmed, and `slots` only with the
 * slots that name a model (an empty slot means "same as the main model").
 */
export function toolChoice(model: string, slots: Record<string, string> = {}): ToolChoice {
  const out: ToolChoice = { model: (model ?? '').trim() }
  const picked: Record<string, string> = {}
  for (const [slot, m] of Object.entries(slots ?? {})) {
    const v = (m ?? '').trim()
    if (v) picked[slot] = v
  }
  if (Object.keys(picked).length > 0) out.slots = picked
  return out
}

/**
 * The launch-at-login state with every field present: booleans default to
 * false, the command to "", and `error` is kept only when it says something.
 */
export function launchAtLogin(v: Partial<LaunchAtLogin> | null | undefined): LaunchAtLogin {
  const o = (v ?? {}) as Partial<LaunchAtLogin>
  const out: LaunchAtLogin = {
    enabled: o.enabled === true,
    supported: o.supported === true,
    command: typeof o.command === 'string' ? o.command : '',
  }
  if (typeof o.error === 'string' && o.error.trim()) out.error = o.error.trim()
  return out
}

/** Query string of POST /api/health/reset; empty = everything. */
export function resetQuery(provider = '', account = ''): string {
  const q = new URLSearchParams()
  if (provider) q.set('provider', provider)
  if (account) q.set('account', account)
  const s = q.toString()
  return s ? `?${s}` : ''
}

/** A complete log filter (the bound Go method receives every field). */
export function fullLogFilter(f: Partial<LogFilter> = {}): LogFilter {
  const n = (v: number | undefined) => (v && v > 0 ? Math.floor(v) : 0)
  return {
    provider: (f.provider ?? '').trim(),
    model: (f.model ?? '').trim(),
    keyName: (f.keyName ?? '').trim(),
    account: (f.account ?? '').trim(),
    dialect: (f.dialect ?? '').trim(),
    status: (f.status ?? '').trim(),
    errorKind: (f.errorKind ?? '').trim(),
    stream: f.stream === 'yes' || f.stream === 'no' ? f.stream : '',
    q: (f.q ?? '').trim(),
    since: n(f.since),
    before: n(f.before),
    cursorTs: n(f.cursorTs),
    cursorId: n(f.cursorId),
    limit: n(f.limit),
  }
}

/** the query parameter of each filter field (keyName travels as key) */
const logParams: [keyof LogFilter, string][] = [
  ['q', 'q'],
  ['provider', 'provider'],
  ['model', 'model'],
  ['keyName', 'key'],
  ['account', 'account'],
  ['dialect', 'dialect'],
  ['status', 'status'],
  ['errorKind', 'errorKind'],
  ['stream', 'stream'],
  ['since', 'since'],
  ['before', 'before'],
  ['cursorTs', 'cursorTs'],
  ['cursorId', 'cursorId'],
  ['limit', 'limit'],
]

/** Query string of GET /api/logs for a filter; empty fields are left out. */
export function logsQuery(f: Partial<LogFilter>): string {
  const full = fullLogFilter(f)
  const q = new URLSearchParams()
  for (const [field, param] of logParams) {
    const v = full[field]
    if (v) q.set(param, String(v))
  }
  const s = q.toString()
  return s ? `?${s}` : ''
}

/** The filter a query string describes (the Logs page keeps its filter in the URL). */
export function filterFromQuery(query: string): Partial<LogFilter> {
  const q = new URLSearchParams(query.replace(/^\?/, ''))
  const out: Record<string, string | number> = {}
  for (const [field, param] of logParams) {
    const v = q.get(param)
    if (v === null || v === '') continue
    const numeric = ['since', 'before', 'cursorTs', 'cursorId', 'limit'].includes(field)
    out[field] = numeric ? Number(v) || 0 : v
  }
  return out as Partial<LogFilter>
}

/** GET /api/logs/export: the filtered log as a download (browser; the window uses ExportLogs). */
export function logsExportUrl(f: Partial<LogFilter>, format: 'csv' | 'jsonl'): string {
  const q = logsQuery({ ...f, cursorTs: 0, cursorId: 0, limit: 0 })
  return `/api/logs/export${q ? q + '&' : '?'}format=${format}`
}

function logFacets(v: LogFacets | null): LogFacets {
  const o = (v ?? {}) as Partial<LogFacets>
  return {
    providers: list(o.providers),
    models: list(o.models),
    keys: list(o.keys),
    accounts: list(o.accounts),
    errorKinds: list(o.errorKinds),
    dialects: list(o.dialects),
  }
}

export const api = {
  getStatus: () => call<Status>({ bind: 'GetStatus', method: 'GET', path: '/api/status' }),

  listKeys: async () =>
    (await call<ApiKey[] | null>({ bind: 'ListKeys', method: 'GET', path: '/api/keys' })) ?? [],

  createKey: (name: string) =>
    call<CreatedKey>({ bind: 'CreateKey', args: [name], method: 'POST', path: '/api/keys', body: { name } }),

  createKeyWithPolicy: (name: string, policy: KeyPolicy) =>
    call<CreatedKey>({ bind: 'CreateKeyWithPolicy', args: [name, policy], method: 'POST', path: '/api/keys', body: { name, policy } }),

  /** Replace a key's policy; answers the key (config-file keys: 409). */
  setKeyPolicy: (id: string, policy: KeyPolicy) =>
    call<ApiKey>({ bind: 'SetKeyPolicy', args: [id, policy], method: 'PUT', path: `/api/keys/${seg(id)}/policy`, body: policy }),

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

  // desktop services: notifications and launch at login

  getNotificationPrefs: () =>
    call<NotificationPrefs>({ bind: 'GetNotificationPrefs', method: 'GET', path: '/api/notifications' }),

  /** Store the preferences; answers what was saved (400 when intervalSec is out of 10…86400). */
  saveNotificationPrefs: (p: NotificationPrefs) =>
    call<NotificationPrefs>({ bind: 'SaveNotificationPrefs', args: [p], method: 'PUT', path: '/api/notifications', body: p }),

  getLaunchAtLogin: async () =>
    launchAtLogin(await call<LaunchAtLogin | null>({ bind: 'GetLaunchAtLogin', method: 'GET', path: '/api/autostart' })),

  /** Register (on) or unregister Switchboard at login; answers the new state. */
  setLaunchAtLogin: async (on: boolean) =>
    launchAtLogin(
      await call<LaunchAtLogin | null>({
        bind: 'SetLaunchAtLogin',
        args: [on],
        method: 'PUT',
        path: '/api/autostart',
        body: { enabled: on },
      }),
    ),

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

  /** The model ids a provider's upstream lists (its models endpoint), for a provider being written or a configured one. */
  discoverModels: async (p: ProviderInput): Promise<string[]> =>
    list(await call<string[] | null>({ bind: 'DiscoverModels', args: [p], method: 'POST', path: '/api/providers/discover', body: p })),

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

  // subscription sign-in

  /** The subscriptions Switchboard can sign in to (and any CLI login found to import). */
  listSignIns: async () =>
    list(await call<SignInProvider[] | null>({ bind: 'ListSignIns', method: 'GET', path: '/api/signin' })).map(signInProvider),

  /** Begin signing in `account` to a subscription; `manual`: for a browser on another machine. */
  startSignIn: async (provider: string, account: string, manual: boolean) =>
    signInFlow(
      await call<SignInFlow>({
        bind: 'StartSignIn',
        args: [provider, account, manual],
        method: 'POST',
        path: `/api/signin/${seg(provider)}`,
        body: { account }, // manual only tells the window not to open its browser
      }),
    ),

  getSignInFlow: async (id: string) =>
    signInFlow(await call<SignInFlow>({ bind: 'GetSignInFlow', args: [id], method: 'GET', path: `/api/signin/flows/${seg(id)}` })),

  /** Finish a flow with what the user pasted: the code ("code#state") or the whole redirect URL. */
  completeSignIn: async (id: string, code: string) =>
    signInFlow(
      await call<SignInFlow>({
        bind: 'CompleteSignIn',
        args: [id, code],
        method: 'POST',
        path: `/api/signin/flows/${seg(id)}/code`,
        body: { code },
      }),
    ),

  cancelSignIn: async (id: string): Promise<void> => {
    await call<null>({ bind: 'CancelSignIn', args: [id], method: 'DELETE', path: `/api/signin/flows/${seg(id)}` })
  },

  /** Copy the login of the vendor's CLI (shares its refresh token). */
  importSignIn: async (provider: string, account: string) =>
    accountView(
      await call<AccountView | null>({
        bind: 'ImportSignIn',
        args: [provider, account],
        method: 'POST',
        path: `/api/signin/${seg(provider)}/import`,
        body: { account },
      }),
    ),

  /** Refresh a sign-in account's token now. */
  refreshAccount: async (id: string) =>
    accountView(await call<AccountView | null>({ bind: 'RefreshAccount', args: [id], method: 'POST', path: `/api/accounts/${seg(id)}/refresh` })),

  /** Sign-ins and token refreshes, newest first. */
  getRefreshLog: async () =>
    list(await call<RefreshLogEntry[] | null>({ bind: 'GetRefreshLog', method: 'GET', path: '/api/signin/log' })),

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

  // combos

  listCombos: async () =>
    list(await call<ComboView[] | null>({ bind: 'ListCombos', method: 'GET', path: '/api/combos' })).map(comboView),

  /** Create or replace (by name) a combo. */
  saveCombo: async (c: ComboInput): Promise<void> => {
    await call<null>({ bind: 'SaveCombo', args: [c], method: 'POST', path: '/api/combos', body: c })
  },

  /** A fallback chain of every usable provider's best chat model, subscriptions first (nothing saved). */
  suggestCombo: async (): Promise<ComboInput> => {
    const c = await call<ComboInput | null>({ bind: 'SuggestCombo', method: 'GET', path: '/api/combos/suggested' })
    return { name: c?.name ?? '', strategy: c?.strategy ?? 'priority', sticky: c?.sticky ?? 0, budgetMs: c?.budgetMs ?? 0, targets: list(c?.targets) }
  },

  deleteCombo: async (name: string): Promise<void> => {
    await call<null>({ bind: 'DeleteCombo', args: [name], method: 'DELETE', path: `/api/combos/${seg(name)}` })
  },

  // health

  getHealth: async () => healthView(await call<HealthView | null>({ bind: 'GetHealth', method: 'GET', path: '/api/health' })),

  /** Clear cooldowns and open breakers: all (no arguments), a provider's, or one account's. Returns how many. */
  resetHealth: async (provider = '', accountId = ''): Promise<number> => {
    const out = await call<number | { cleared?: number } | null>({
      bind: 'ResetHealth',
      args: [provider, accountId],
      method: 'POST',
      path: `/api/health/reset${resetQuery(provider, accountId)}`,
    })
    if (typeof out === 'number') return out
    return typeof out?.cleared === 'number' ? out.cleared : 0
  },

  /** Recent routing events, newest first. */
  listEvents: async (limit = 50) => {
    const n = Math.max(1, Math.floor(limit) || 50)
    return list(
      await call<RoutingEvent[] | null>({ bind: 'ListEvents', args: [n], method: 'GET', path: `/api/events/recent?limit=${n}` }),
    )
  },

  // quota

  /** Every account's quota windows and state, in routing order. */
  listQuota: async () => quotaOverview(await call<QuotaOverview | null>({ bind: 'ListQuota', method: 'GET', path: '/api/quota' })),

  /**
   * Ask an account's usage endpoint now; answers its fresh quota. Rejects with the server's
   * message: 400 for an account without a usage endpoint (an API key), 502 when the endpoint fails.
   */
  refreshQuota: async (accountId: string) =>
    quotaAccount(
      await call<QuotaAccount | null>({ bind: 'RefreshQuota', args: [accountId], method: 'POST', path: `/api/quota/${seg(accountId)}/refresh` }),
    ),

  /** Each provider's tightest window (the tray's lines). */
  trayQuota: async () =>
    list(await call<QuotaProviderLine[] | null>({ bind: 'TrayQuota', method: 'GET', path: '/api/quota/tray' })).map(quotaLine),

  // request log

  listLogs: async (filter: Partial<LogFilter> = {}) => {
    const f = fullLogFilter(filter)
    return list(
      await call<LogRow[] | null>({ bind: 'ListLogs', args: [f], method: 'GET', path: `/api/logs${logsQuery(f)}` }),
    )
  },

  /** One row with its bodies and headers. */
  getLogDetail: (id: number) => call<LogRow>({ bind: 'GetLogDetail', args: [id], method: 'GET', path: `/api/logs/${id}` }),

  /** The values the pickers offer. */
  getLogFacets: async () => logFacets(await call<LogFacets | null>({ bind: 'GetLogFacets', method: 'GET', path: '/api/logs/facets' })),

  /** Window only: save the filtered log to a file the user picks; answers its path ("" when cancelled). */
  exportLogs: (filter: Partial<LogFilter>, format: 'csv' | 'jsonl') =>
    call<string>({ bind: 'ExportLogs', args: [fullLogFilter({ ...filter, cursorTs: 0, cursorId: 0, limit: 0 }), format], method: 'GET', path: logsExportUrl(filter, format) }),

  // CLI tools

  /** Detect the one-click tools; the manual ones' instructions and the shell snippet. */
  getTools: async () => toolsOverview(await call<ToolsOverview | null>({ bind: 'GetTools', method: 'GET', path: '/api/tools' })),

  /** What applying `choice` would write (a diff per file); writes nothing. */
  planTool: async (id: string, choice: ToolChoice) =>
    toolPlan(
      await call<ToolPlan>({ bind: 'PlanTool', args: [id, choice], method: 'POST', path: `/api/tools/${seg(id)}/plan`, body: choice }),
    ),

  /** Point the tool at Switchboard (backs up and writes its files, creates its key). */
  applyTool: async (id: string, choice: ToolChoice) =>
    toolResult(
      await call<ToolResult>({ bind: 'ApplyTool', args: [id, choice], method: 'POST', path: `/api/tools/${seg(id)}/apply`, body: choice }),
    ),

  /** Take the tool back to how it was (restores its files, revokes its key). */
  undoTool: async (id: string) =>
    toolResult(await call<ToolResult>({ bind: 'UndoTool', args: [id], method: 'POST', path: `/api/tools/${seg(id)}/undo` })),
}

export type Api = typeof api

/** Base URLs clients should use, per API dialect, derived from the gateway endpoint. */
export function dialectUrls(endpoint: string): { id: string; label: string; url: string }[] {
  const root = endpoint.replace(/\/+$/, '')
  return [
    { id: 'openai', label: 'OpenAI', url: `${root}/v1` },
    { id: 'anthropic', label: 'Anthropic', url: root },
    { id: 'gemini', label: 'Gemini', url: root },
  ]
}
