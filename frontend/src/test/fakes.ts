import { vi } from 'vitest'
import type {
  AccountView,
  ApiKey,
  BreakerView,
  CatalogEntry,
  ComboTargetView,
  ComboView,
  Cooldown,
  LogRow,
  ModelInfo,
  ProviderView,
  QuotaAccount,
  QuotaOverview,
  QuotaWindow,
  RefreshLogEntry,
  RoutingEvent,
  SignInFlow,
  SignInProvider,
  Status,
  ToolFileChange,
  ToolFileResult,
  ToolPlan,
  ToolResult,
  ToolStatus,
} from '../lib/api/types'
import type { PollerDeps } from '../lib/poller'

export function jsonResponse(body: unknown, status = 200, statusText = ''): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    statusText,
    headers: { 'Content-Type': 'application/json' },
  })
}

export function errorResponse(status: number, message: string, code = 'err'): Response {
  return jsonResponse({ error: { message, code } }, status)
}

export const sampleStatus: Status = {
  version: '0.1.0',
  mode: 'headless',
  listen: '127.0.0.1:20128',
  endpoint: 'http://127.0.0.1:20128',
  startedAt: '2025-01-01T00:00:00Z',
  uptimeSec: 12,
  requests: 3,
  keys: 1,
  dataDir: '/tmp/sb',
  keyring: 'key-file',
}

export function key(id: string, name: string, createdAt = '2025-01-01T00:00:00Z'): ApiKey {
  return { id, name, last4: id.slice(-4).padStart(4, 'x'), createdAt, lastUsedAt: '', source: 'dashboard' }
}

/** Install a fake Wails binding on window.go.app.App (+ window.runtime events). */
export function installWails(methods: Record<string, (...args: any[]) => Promise<unknown>>) {
  const listeners = new Map<string, Set<(...d: unknown[]) => void>>()
  const runtime = {
    EventsOn: vi.fn((name: string, cb: (...d: unknown[]) => void) => {
      if (!listeners.has(name)) listeners.set(name, new Set())
      listeners.get(name)!.add(cb)
      return () => listeners.get(name)!.delete(cb)
    }),
    EventsOff: vi.fn(),
    emit(name: string, ...data: unknown[]) {
      for (const cb of listeners.get(name) ?? []) cb(...data)
    },
    listenerCount: (name: string) => listeners.get(name)?.size ?? 0,
  }
  const App: Record<string, any> = {}
  for (const [k, fn] of Object.entries(methods)) App[k] = vi.fn(fn)
  const w = window as unknown as Record<string, unknown>
  w.go = { app: { App } }
  w.runtime = runtime
  return { App, runtime }
}

/** Minimal EventSource stand-in (jsdom has none). */
export class FakeEventSource {
  static instances: FakeEventSource[] = []
  readyState = 0
  closed = false
  private handlers = new Map<string, Set<(ev: any) => void>>()
  constructor(public url: string) {
    FakeEventSource.instances.push(this)
  }
  addEventListener(type: string, cb: (ev: any) => void) {
    if (!this.handlers.has(type)) this.handlers.set(type, new Set())
    this.handlers.get(type)!.add(cb)
  }
  removeEventListener(type: string, cb: (ev: any) => void) {
    this.handlers.get(type)?.delete(cb)
  }
  close() {
    this.closed = true
    this.readyState = 2
  }
  dispatch(type: string, ev: any = {}) {
    for (const cb of this.handlers.get(type) ?? []) cb(ev)
  }
  static reset() {
    FakeEventSource.instances = []
  }
}

// ---------------------------------------------------------------------------
// pollers

/** A poller whose interval runs on `tick()` and whose visibility the test sets. */
export function fakePoller() {
  const timers = new Map<number, () => void>()
  let visible = true
  let onVis: (() => void) | null = null
  let n = 0
  const deps: PollerDeps = {
    setInterval: vi.fn((fn: () => void) => {
      timers.set(++n, fn)
      return n
    }),
    clearInterval: vi.fn((t: unknown) => void timers.delete(t as number)),
    visible: () => visible,
    onVisibilityChange: (cb) => {
      onVis = cb
      return () => (onVis = null)
    },
  }
  return {
    deps,
    timers,
    tick: () => [...timers.values()].forEach((fn) => fn()),
    setVisible(v: boolean) {
      visible = v
      onVis?.()
    },
  }
}

// ---------------------------------------------------------------------------
// providers, accounts, logs

export function catalogEntry(id: string, tier: CatalogEntry['tier'], extra: Partial<CatalogEntry> = {}): CatalogEntry {
  return {
    id,
    name: id.charAt(0).toUpperCase() + id.slice(1),
    prefix: id,
    dialect: 'openai',
    tier,
    local: tier === 'local',
    docs: `https://docs.example/${id}`,
    baseUrl: `https://api.example/${id}/v1`,
    models: [{ id: `${id}-model`, context: 8192, inputPrice: 1, outputPrice: 2, embedding: false }],
    ...extra,
  }
}

export function account(id: string, name: string, extra: Partial<AccountView> = {}): AccountView {
  return {
    id,
    name,
    last4: id.slice(-4),
    source: 'store',
    disabled: false,
    priority: 0,
    maxConcurrent: 0,
    rpm: 0,
    state: 'ok',
    ...extra,
  }
}

export function providerView(id: string, accounts: AccountView[], extra: Partial<ProviderView> = {}): ProviderView {
  return { ...catalogEntry(id, 'api-key'), source: 'store', disabled: false, usable: accounts.length > 0, accounts, ...extra }
}

export function logRow(reqId: string, extra: Partial<LogRow> = {}): LogRow {
  return {
    reqId,
    ts: Date.UTC(2025, 0, 2, 3, 4, 5),
    keyName: 'laptop',
    clientDialect: 'openai',
    endpoint: '/v1/chat/completions',
    requestedModel: 'fake/m1',
    provider: 'fake',
    account: 'dummy',
    upstreamModel: 'm1',
    upstreamDialect: 'openai',
    stream: false,
    status: 200,
    errorKind: '',
    errorMessage: '',
    latencyMs: 120,
    ttftMs: 80,
    tokensIn: 10,
    tokensOut: 5,
    tokensCached: 0,
    tokensReasoning: 0,
    attempts: 1,
    route: JSON.stringify([{ target: 'fake/dummy/m1', result: 'ok' }]),
    ...extra,
  }
}

export interface RecordedCall {
  method: string
  url: string
  body: unknown
}

/**
 * Stub fetch with a tiny backend: `handle` gets each call (method, URL, parsed
 * JSON body) and returns a Response, or a value sent as JSON 200 (undefined = 204).
 */
export function stubBackend(handle: (c: RecordedCall) => Response | unknown | Promise<Response | unknown>) {
  const calls: RecordedCall[] = []
  const fetchMock = vi.fn(async (url: string, init: RequestInit = {}) => {
    const c: RecordedCall = {
      method: init.method ?? 'GET',
      url,
      body: init.body === undefined ? undefined : JSON.parse(String(init.body)),
    }
    calls.push(c)
    const out = await handle(c)
    if (out instanceof Response) return out
    if (out === undefined) return new Response(null, { status: 204 })
    return jsonResponse(out)
  })
  vi.stubGlobal('fetch', fetchMock)
  return { calls, fetchMock }
}

// ---------------------------------------------------------------------------
// combos, health, events

/** Go's encoding of an unset time.Time */
export const GO_ZERO_TIME = '0001-01-01T00:00:00Z'

export function comboTarget(model: string, extra: Partial<ComboTargetView> = {}): ComboTargetView {
  return { model, state: 'ok', until: GO_ZERO_TIME, ...extra }
}

export function comboView(name: string, targets: ComboTargetView[], extra: Partial<ComboView> = {}): ComboView {
  return { name, strategy: 'priority', sticky: 0, budgetMs: 0, source: 'store', targets, ...extra }
}

export function modelInfo(id: string, extra: Partial<ModelInfo> = {}): ModelInfo {
  const [provider = '', upstream = ''] = id.includes('/') ? id.split('/', 2) : ['', '']
  return { ID: id, Provider: provider, Upstream: upstream, Context: 0, MaxOutput: 0, Embedding: false, Alias: false, Combo: false, ...extra }
}

export function breaker(provider: string, extra: Partial<BreakerView> = {}): BreakerView {
  return { provider, state: 'closed', failures: 0, requests: 3, ...extra }
}

export function cooldown(accountId: string, extra: Partial<Cooldown> = {}): Cooldown {
  return {
    accountId,
    account: 'ops',
    provider: 'fake-config',
    model: 'limited',
    reason: 'rate_limited',
    until: new Date(Date.now() + 60_000).toISOString(),
    level: 0,
    message: 'rate limited by the upstream (HTTP 429)',
    ...extra,
  }
}

export function routingEvent(kind: string, extra: Partial<RoutingEvent> = {}): RoutingEvent {
  return { ts: Date.now() - 5000, kind, provider: 'fake-config', account: 'ops', model: 'limited', until: 0, message: '', ...extra }
}

// ---------------------------------------------------------------------------
// CLI tools

export function toolStatus(id: string, extra: Partial<ToolStatus> = {}): ToolStatus {
  return {
    id,
    name: id.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(' '),
    installed: true,
    configPaths: [`/home/u/.${id}/settings.json`],
    state: 'untouched',
    slots: [],
    managed: false,
    ...extra,
  }
}

/** a unified diff as the backend writes it (3 lines of context) */
export const CLAUDE_DIFF = [
  '--- a/home/u/.claude/settings.json',
  '+++ b/home/u/.claude/settings.json',
  '@@ -1,4 +1,7 @@',
  ' {',
  '   "env": {',
  '-    "FOO": "bar"',
  '+    "FOO": "bar",',
  '+    "ANTHROPIC_BASE_URL": "http://127.0.0.1:20128",',
  '+    "ANTHROPIC_AUTH_TOKEN": "sk-sb-new-key-created-on-apply",',
  '+    "ANTHROPIC_MODEL": "fakecfg/m1"',
  '   }',
  ' }',
  '',
].join('\n')

export function toolPlan(tool: string, files: Partial<ToolFileChange>[], extra: Partial<ToolPlan> = {}): ToolPlan {
  return {
    tool,
    model: 'fakecfg/m1',
    files: files.map((f) => ({ path: `/home/u/.${tool}/settings.json`, before: 'a', after: 'b', created: false, diff: CLAUDE_DIFF, ...f })),
    keyName: tool,
    newKey: true,
    ...extra,
  }
}

export function toolResult(tool: string, files: ToolFileResult[], extra: Partial<ToolResult> = {}): ToolResult {
  return { tool, files, changed: true, keyName: tool, ...extra }
}

// ---------------------------------------------------------------------------
// subscription sign-in

export const CLAUDE_RISK =
  "Anthropic's terms let a Claude Pro/Max sign-in be used through Claude Code and Anthropic's own apps; using it from other tools may break those terms."

export function signInProvider(id: string, extra: Partial<SignInProvider> = {}): SignInProvider {
  const claude = id === 'claude'
  return {
    id,
    name: claude ? 'Claude (Pro/Max sign-in)' : id === 'codex' ? 'ChatGPT (Plus/Pro sign-in, Codex)' : id,
    riskNote: claude ? CLAUDE_RISK : `Using ${id} through a gateway may break its terms.`,
    prefix: claude ? 'cc' : id === 'codex' ? 'cx' : id,
    models: claude ? ['claude-sonnet-4-5'] : ['gpt-5.1-codex'],
    importFrom: '',
    ...extra,
  }
}

export function signInFlow(id: string, provider: string, extra: Partial<SignInFlow> = {}): SignInFlow {
  return {
    id,
    provider,
    account: 'default',
    url: `https://idp.example/${provider}/authorize?state=${id}`,
    manualUrl: `https://idp.example/${provider}/authorize?state=${id}&redirect_uri=manual`,
    status: 'pending',
    opened: false,
    device: false,
    ...extra,
  }
}

/** a signed-in subscription account as GET /api/providers lists it */
export function signInAccount(id: string, name: string, extra: Partial<AccountView> = {}): AccountView {
  return account(id, name, {
    last4: '',
    kind: 'signin',
    email: `${name}@example.com`,
    plan: 'max',
    tokenState: 'valid',
    expiresAt: new Date(Date.now() + 8 * 3600_000).toISOString(),
    refreshedAt: new Date(Date.now() - 120_000).toISOString(),
    ...extra,
  })
}

export function refreshLogEntry(outcome: string, extra: Partial<RefreshLogEntry> = {}): RefreshLogEntry {
  return {
    at: '2025-01-02T03:04:05Z',
    provider: 'claude',
    account: 'default',
    accountId: 'a_sign1',
    outcome,
    detail: '',
    ...extra,
  }
}

// ---------------------------------------------------------------------------
// quota

/** a quota window as GET /api/quota sends it (72 % of 5 hours, from the usage endpoint, read a minute ago) */
export function quotaWindow(name: string, extra: Partial<QuotaWindow> = {}): QuotaWindow {
  return {
    name,
    label: name === '5h' ? '5-hour' : name === '7d' ? 'Weekly' : name.charAt(0).toUpperCase() + name.slice(1),
    percent: 72,
    resetAt: new Date(Date.now() + 72 * 60_000).toISOString(),
    source: 'usage',
    observedAt: new Date(Date.now() - 60_000).toISOString(),
    plan: true,
    exhausted: false,
    stale: false,
    ...extra,
  }
}

/** an account's quota; the tightest window is the first live one with the highest percent */
export function quotaAccount(accountId: string, windows: QuotaWindow[], extra: Partial<QuotaAccount> = {}): QuotaAccount {
  const live = windows.filter((w) => !w.stale)
  const tightest = live.reduce<QuotaWindow | undefined>((best, w) => (!best || w.percent > best.percent ? w : best), undefined)
  const [provider = 'claude', account = accountId] = accountId.includes(':') ? accountId.split(':', 2) : []
  return {
    accountId,
    account,
    provider,
    providerName: provider.charAt(0).toUpperCase() + provider.slice(1),
    state: 'ok',
    ...(tightest ? { tightest } : {}),
    windows,
    polled: provider === 'claude' || provider === 'codex',
    ...extra,
  }
}

export function quotaOverview(accounts: QuotaAccount[], extra: Partial<QuotaOverview> = {}): QuotaOverview {
  return { reservePercent: 10, reserveFromConfig: false, thresholdPercent: 90, accounts, ...extra }
}
