// Shapes of the Switchboard management API (/api/* over HTTP, or the bound Go
// methods of app.App inside the Wails window). Both transports return the same JSON.

export type RunMode = 'desktop' | 'headless'
export type KeyringKind = 'os-keyring' | 'key-file'

export interface Status {
  version: string
  mode: RunMode
  /** host:port the gateway listens on, e.g. "127.0.0.1:20128" */
  listen: string
  /** base URL of the gateway, e.g. "http://127.0.0.1:20128" */
  endpoint: string
  /** RFC 3339 */
  startedAt: string
  uptimeSec: number
  requests: number
  keys: number
  dataDir: string
  keyring: KeyringKind
  /** moves each time the quota windows are saved changed (absent from an older server) */
  quotaRev?: number
}

/** where a key was made; "tool": minted by the CLI Tools page for one tool (named after it) */
export type KeySource = 'dashboard' | 'cli' | 'config' | 'tool'

export interface ApiKey {
  id: string
  name: string
  last4: string
  /** RFC 3339 */
  createdAt: string
  /** RFC 3339, or "" when never used */
  lastUsedAt: string
  source: KeySource
  /** what the key may do (absent from older servers: no limits) */
  policy?: KeyPolicy
  /** spend today and this month (local calendar) */
  usage?: KeyUsage
}

/** A key's policy; 0 / empty means no limit. PUT /api/keys/{id}/policy takes exactly these fields. */
export interface KeyPolicy {
  /** glob patterns of the model or combo names a client may send ('*', '?'); empty = any */
  models: string[] | null
  rpm: number
  tpm: number
  dailyUsd: number
  monthlyUsd: number
  dailyTokens: number
  monthlyTokens: number
  /** RFC 3339 or "" (never) */
  expiresAt: string
  disabled: boolean
}

export interface KeySpend {
  usd: number
  tokens: number
  requests: number
  /** requests on models without a known price: usd is a lower bound */
  unpriced: number
  /** RFC 3339: when the period resets */
  resetAt: string
}

export interface KeyUsage {
  today: KeySpend
  month: KeySpend
}

export interface CreatedKey {
  key: ApiKey
  /** the full secret (sk-sb-…), returned exactly once */
  secret: string
}

export type Theme = 'system' | 'light' | 'dark'

/** exactly these fields: PUT /api/settings rejects unknown ones */
export type LanguagePref = 'system' | 'en' | 'fi' | 'pt-BR' | 'zh-CN' | 'es'

export interface Settings {
  logRequestBodies: boolean
  /** answer exact repeats of non-streaming requests from memory (10 minutes) */
  responseCache: boolean
  theme: Theme
  /** language of the dashboard, tray, notifications and CLI: "system" or a locale (en, fi, pt-BR, zh-CN, es); left out, the stored value stays */
  language?: LanguagePref
  /** keep this much of every plan back: an account with less left goes behind the others (0…50) */
  quotaReservePercent: number
  /** serve Prometheus metrics at /metrics (loopback clients only); left out, the stored value stays */
  metrics?: boolean
  /** the config file's metrics: decides (the switch is read-only); never sent back */
  metricsFromConfig?: boolean
}

// ---------------------------------------------------------------------------
// Providers (upstreams), their accounts, routable models and aliases

export type Tier = 'subscription' | 'api-key' | 'cheap' | 'free' | 'local'
/** where a provider or account is defined: the config file (read-only here) or the app's store */
export type DefinitionSource = 'config' | 'store'

export interface CatalogModel {
  id: string
  context: number
  inputPrice: number
  outputPrice: number
  embedding: boolean
}

/** a provider Switchboard knows how to talk to */
export interface CatalogEntry {
  id: string
  name: string
  /** model ids are routed as `<prefix>/<model>` */
  prefix: string
  dialect: string
  tier: Tier
  local: boolean
  docs: string
  baseUrl: string
  models: CatalogModel[]
}

/** how an account authenticates: an API key, or a subscription sign-in (OAuth tokens) */
export type AccountKind = 'key' | 'signin'

/** the health of a sign-in account's tokens */
export type TokenState = 'valid' | 'expiring' | 'expired' | 'refresh_failing' | 'needs_sign_in'

export interface AccountView {
  id: string
  name: string
  /** last four characters of the upstream key ("" when there is none) */
  last4: string
  source: DefinitionSource
  disabled: boolean
  priority: number
  maxConcurrent: number
  rpm: number
  /** "ok" | "disabled" | "needs_sign_in" | … */
  state: string
  /** RFC 3339: when a rest ends */
  until?: string
  /** why it rests (the upstream's message) */
  detail?: string
  /** "key" when absent (servers before sign-in accounts) */
  kind?: AccountKind
  /** sign-in accounts: who signed in */
  email?: string
  /** sign-in accounts: the subscription plan ("pro", "max", "plus", …) */
  plan?: string
  /** sign-in accounts */
  tokenState?: TokenState
  /** sign-in accounts: RFC 3339, when the access token expires (absent when unknown) */
  expiresAt?: string
  /** sign-in accounts: RFC 3339, the last successful refresh (absent when never) */
  refreshedAt?: string
  /** the account sends no key (a local or self-hosted server) */
  keyless?: boolean
}

/** a configured provider */
export interface ProviderView extends CatalogEntry {
  source: DefinitionSource
  disabled: boolean
  usable: boolean
  /** why no request can go to it ("" / absent when usable) */
  unusable?: string
  accounts: AccountView[]
  /** not from the catalog: URL, type and models are the user's */
  custom?: boolean
  /** a custom provider's type */
  type?: CustomProviderType | ''
  allowLocal?: boolean
  /** it may run with a keyless account (local, allow-local or custom) */
  keyOptional?: boolean
  /** untested until a test or a request succeeded; failed when the last test failed */
  check?: 'untested' | 'ok' | 'failed'
  /** RFC 3339 of that outcome */
  checkedAt?: string
  /** what the failed test said */
  checkError?: string
}

export type CustomProviderType =
  | 'openai-compatible'
  | 'anthropic-compatible'
  | 'gemini-compatible'
  | 'responses-compatible'

/** body of SaveProvider / POST /api/providers */
export interface ProviderInput {
  id: string
  type: CustomProviderType | ''
  name: string
  prefix: string
  baseUrl: string
  allowLocal: boolean
  models: string[]
  disabled: boolean
  /** adds an account with this key (the custom provider form); without one a keyless account is made when the provider can run without a key */
  apiKey?: string
  /** the name of that account */
  account?: string
}

/** body of AddAccount / POST /api/providers/{id}/accounts */
export interface AccountInput {
  name: string
  apiKey: string
  priority: number
  maxConcurrent: number
  rpm: number
}

/** body of UpdateAccount / PATCH /api/accounts/{id}: only the fields to change */
export interface AccountPatch {
  name?: string
  apiKey?: string
  priority?: number
  maxConcurrent?: number
  rpm?: number
  disabled?: boolean
}

export interface TestResult {
  ok: boolean
  /** account name ("" when the provider has no account) */
  account: string
  latencyMs: number
  error?: string
}

/** a routable model (Go field names: this one is not renamed for JSON) */
export interface ModelInfo {
  /** what clients send: prefix/model, or an alias */
  ID: string
  Provider: string
  Upstream: string
  Context: number
  MaxOutput: number
  Embedding: boolean
  Alias: boolean
  /** a combo (combos can be targets of other combos) */
  Combo?: boolean
}

/** alias → target model */
export type Aliases = Record<string, string>

// ---------------------------------------------------------------------------
// Subscription sign-in (Claude Pro/Max, ChatGPT/Codex): OAuth flows and token refreshes

export type SignInProviderId = 'claude' | 'codex'

/** ListSignIns / GET /api/signin: a subscription Switchboard can sign in to */
export interface SignInProvider {
  id: SignInProviderId | string
  name: string
  /** what the vendor's terms say about using the plan through a gateway: shown where the user connects */
  riskNote: string
  /** model ids are routed as `<prefix>/<model>` */
  prefix: string
  models: string[]
  /** where an existing CLI login was found (e.g. "Claude Code"); "" when none */
  importFrom: string
}

export type SignInStatus = 'pending' | 'done' | 'failed' | 'canceled'

/** StartSignIn / POST /api/signin/{provider}; GetSignInFlow / GET /api/signin/flows/{id} */
export interface SignInFlow {
  id: string
  provider: string
  /** the account name the sign-in creates or renews */
  account: string
  /** the vendor's sign-in page (its redirect comes back to this machine) */
  url: string
  /** the same sign-in for a browser on another machine: it shows a code to paste back */
  manualUrl: string
  status: SignInStatus
  /** why it failed */
  error?: string
  /** done: the account signed in */
  accountId?: string
  email?: string
  /** the desktop app already opened the system browser on url */
  opened: boolean
  /** a device-code sign-in: open url on any device and enter userCode; nothing is pasted back */
  device: boolean
  userCode?: string
}

export type RefreshOutcome = 'signed_in' | 'imported' | 'refreshed' | 'failed' | 'needs_sign_in'

/** GetRefreshLog / GET /api/signin/log (newest first, at most 200) */
export interface RefreshLogEntry {
  /** RFC 3339 */
  at: string
  provider: string
  account: string
  accountId: string
  outcome: RefreshOutcome | string
  detail: string
}

// ---------------------------------------------------------------------------
// Request log

/** '' any, ok (< 400), error (>= 400), a class (4xx, 5xx) or a code ("429") */
export type LogStatusFilter = string

export type LogStreamFilter = '' | 'yes' | 'no'

/**
 * ListLogs(filter) / GET /api/logs?provider=&model=&key=&account=&dialect=&status=&errorKind=&stream=&q=&since=&before=&cursorTs=&cursorId=&limit=
 * (the Go method receives every field)
 */
export interface LogFilter {
  provider: string
  model: string
  keyName: string
  account: string
  /** the client's dialect */
  dialect: string
  status: LogStatusFilter
  errorKind: string
  stream: LogStreamFilter
  /** substring of the request id, models, provider, account, key, endpoint, error or route */
  q: string
  /** unix ms, inclusive; 0 = no bound */
  since: number
  /** unix ms, exclusive; 0 = no bound */
  before: number
  /** keyset cursor: rows older than this one (ts, id); 0 = the newest page */
  cursorTs: number
  cursorId: number
  limit: number
}

/** the values each picker offers (from the newest rows) */
export interface LogFacets {
  providers: string[]
  models: string[]
  keys: string[]
  accounts: string[]
  errorKinds: string[]
  dialects: string[]
}

export interface LogRow {
  /** the row's id (paging cursor, detail) */
  id?: number
  reqId: string
  /** unix ms */
  ts: number
  keyName: string
  clientDialect: string
  endpoint: string
  requestedModel: string
  provider: string
  account: string
  upstreamModel: string
  upstreamDialect: string
  stream: boolean
  /** HTTP status answered to the client */
  status: number
  errorKind: string
  errorMessage: string
  latencyMs: number
  ttftMs: number
  tokensIn: number
  tokensOut: number
  tokensCached: number
  tokensReasoning: number
  attempts: number
  /** JSON text: RouteStep[] ("" when nothing was tried) */
  route: string
  /** media requests: billed units of unitKind (images, characters, audio_seconds, search_units, tokens, inputs) */
  units?: number
  unitKind?: string
  /** USD for those units at the catalog's unit price */
  unitsCostUsd?: number
  requestBody?: string
  responseBody?: string
  /** JSON text {request:{…}, response:{…}}: the headers that matter, secrets redacted (detail only) */
  headers?: string
  /** a listed row has bodies or headers: the detail has them */
  hasBody?: boolean
  /** estimated cost in USD, when the server records one */
  costUsd?: number | null
}

/** one routing decision of a request: a target tried (or skipped) and the outcome */
export interface RouteStep {
  /** provider/account/model */
  target: string
  /** "ok", an error kind, or "skipped: …" */
  result: string
  status?: number
  error?: string
  /** ms after the request began that the target was tried or skipped */
  atMs?: number
  /** how long a tried target took, to its last byte */
  ms?: number
  /** more about a skip (the quota window used up) */
  detail?: string
  /** RFC 3339: until when a skipped target rests */
  until?: string
}

// ---------------------------------------------------------------------------
// Combos: named, ordered lists of targets tried by a strategy

export type ComboStrategy =
  | 'priority'
  | 'fill-first'
  | 'round-robin'
  | 'weighted'
  | 'p2c'
  | 'random'
  | 'least-used'
  | 'cost-optimized'
  | 'quota-aware'

/** live state of a combo target */
export type TargetStateKind = 'ok' | 'cooling' | 'breaker_open' | 'disabled' | 'unroutable'

/** one target of a listed combo, with its live state */
export interface ComboTargetView {
  /** prefix/model, an alias or another combo */
  model: string
  /** pinned account ("" or absent = any) */
  account?: string
  weight?: number
  /** only tried when the targets before it are out of quota */
  onlyWhenExhausted?: boolean
  state: TargetStateKind
  /** RFC 3339; absent when the state has no end (the client drops Go's zero time) */
  until?: string
  /** why (unroutable: the routing error; cooling: the reason) */
  note?: string
}

/** ListCombos / GET /api/combos */
export interface ComboView {
  name: string
  strategy: ComboStrategy | string
  /** round-robin: requests in a row to the same target */
  sticky: number
  /** 0 = no time budget */
  budgetMs: number
  source: DefinitionSource
  targets: ComboTargetView[]
}

export interface ComboTargetInput {
  model: string
  account: string
  weight: number
  onlyWhenExhausted: boolean
}

/** SaveCombo / POST /api/combos (create or replace by name) */
export interface ComboInput {
  name: string
  strategy: ComboStrategy
  sticky: number
  budgetMs: number
  targets: ComboTargetInput[]
}

// ---------------------------------------------------------------------------
// Health: circuit breakers, resting accounts, routing events

export type BreakerState = 'closed' | 'open' | 'half_open'

export interface BreakerView {
  provider: string
  state: BreakerState
  /** server-side failures in the last minute */
  failures: number
  /** requests in the last minute */
  requests: number
  /** RFC 3339; absent when closed */
  openUntil?: string
}

export type CooldownReason = 'rate_limited' | 'quota_exhausted' | 'auth_failed' | 'upstream_error' | 'model_not_supported'

/** a resting (account, model) pair */
export interface Cooldown {
  accountId: string
  account: string
  provider: string
  /** "*" = the whole account */
  model: string
  reason: CooldownReason | string
  /** RFC 3339 */
  until: string
  level: number
  message: string
}

/** GetHealth / GET /api/health */
export interface HealthView {
  breakers: BreakerView[]
  cooldowns: Cooldown[]
  /** providers no request can reach, with the fix offered (always set by the client; absent in older fixtures) */
  unusable?: UnusableProvider[]
}

/** a provider without a usable account (or disabled) on the Health page */
export interface UnusableProvider {
  provider: string
  name: string
  message: string
  /** add_keyless: one click adds a keyless account; enable: it is disabled; add_account: a key or sign-in is needed */
  fix: 'add_keyless' | 'enable' | 'add_account'
}

export type RoutingEventKind =
  | 'provider_tripped'
  | 'provider_recovered'
  | 'account_quota_exhausted'
  | 'account_cooling_down'
  | 'account_auth_failed'
  | 'combo_unavailable'

/** ListEvents(limit) / GET /api/events/recent?limit= (newest first) */
export interface RoutingEvent {
  /** unix ms */
  ts: number
  kind: RoutingEventKind | string
  /** the provider; for combo_unavailable, the combo's name */
  provider: string
  account: string
  model: string
  /** unix ms, 0 = none */
  until: number
  message: string
}

// ---------------------------------------------------------------------------
// CLI tools: coding tools pointed at Switchboard by editing their config files

/** where a tool points: here, elsewhere, its defaults, or a file that cannot be parsed */
export type ToolState = 'ours' | 'other' | 'untouched' | 'malformed'

/** one one-click tool as detected on this machine */
export interface ToolStatus {
  /** e.g. "claude-code" */
  id: string
  name: string
  /** its program is on PATH or where its installer puts it (never because a config file exists) */
  installed: boolean
  binaryPath?: string
  /** a config file of it exists (informative: not "installed") */
  configFound?: boolean
  /** the files Switchboard reads and writes for it */
  configPaths: string[]
  state: ToolState | string
  /** the model it will use ("" / absent: its default) */
  model?: string
  /** why (malformed: the file, line and problem; other: where it points) */
  detail?: string
  /** per-role models it takes besides the main one, e.g. ["opus","sonnet","haiku"] */
  slots: string[]
  /** Switchboard applied it and can undo */
  managed: boolean
}

/** a tool configured in its own UI: instructions only */
export interface ManualTool {
  id: 'cursor' | 'roo-code' | 'vscode-copilot' | string
  instructions: string
}

/** GetTools / GET /api/tools */
export interface ToolsOverview {
  tools: ToolStatus[]
  manual: ManualTool[]
  /** shell exports for SDKs and other CLIs */
  snippet: string
}

/** body of PlanTool / ApplyTool: the main model and optional per-slot models */
export interface ToolChoice {
  model: string
  slots?: Record<string, string>
}

/** one file of a plan */
export interface ToolFileChange {
  path: string
  before: string
  after: string
  /** the file does not exist yet */
  created: boolean
  /** unified diff ("" when nothing changes) */
  diff: string
}

/** PlanTool / POST /api/tools/{id}/plan: what Apply would write */
export interface ToolPlan {
  tool: string
  model: string
  files: ToolFileChange[]
  /** the local key the tool uses (named after the tool) */
  keyName: string
  /** Apply creates that key (the diff shows a placeholder where it goes) */
  newKey: boolean
  notes?: string
}

export type ToolFileAction = 'created' | 'updated' | 'unchanged' | 'restored' | 'reverted' | 'removed' | 'missing'

export interface ToolFileResult {
  path: string
  action: ToolFileAction | string
  /** copy of the file as it was before this write */
  backup?: string
}

/** ApplyTool / UndoTool (POST /api/tools/{id}/apply, /undo) */
export interface ToolResult {
  tool: string
  files: ToolFileResult[]
  changed: boolean
  keyName?: string
  keyCreated?: boolean
  keyRevoked?: boolean
  warnings?: string[]
  notes?: string
}

// ---------------------------------------------------------------------------
// Desktop services: notifications and launch at login

/**
 * GetNotificationPrefs / GET /api/notifications; SaveNotificationPrefs / PUT with
 * exactly these fields (the server rejects unknown ones).
 */
export interface NotificationPrefs {
  /** master switch: off = no alerts at all, whatever the kinds say */
  enabled: boolean
  /** a provider's circuit breaker opens */
  breakerOpen: boolean
  /** an account's quota is exhausted (with its reset time) */
  quotaExhausted: boolean
  /** every target of a combo is unavailable */
  comboUnavailable: boolean
  /** a subscription token cannot be refreshed */
  oauthRefreshFailed: boolean
  /** a provider recovers */
  recovered: boolean
  /** a plan window of an account crosses quotaThresholdPercent */
  quotaThreshold: boolean
  /** an account's quota is back after its reset */
  quotaBack: boolean
  /** a local API key used 80% of one of its budgets */
  keyBudget: boolean
  /** the threshold, percent used (1…100; default 90) */
  quotaThresholdPercent: number
  /** per-account thresholds (account id → percent), set through the API */
  quotaThresholds?: Record<string, number>
  /** at most one alert per provider and kind this often (seconds, 10…86400; default 300) */
  intervalSec: number
}

/** the per-kind switches of NotificationPrefs */
export type NotificationKind =
  | 'breakerOpen'
  | 'quotaExhausted'
  | 'quotaThreshold'
  | 'quotaBack'
  | 'comboUnavailable'
  | 'oauthRefreshFailed'
  | 'recovered'
  | 'keyBudget'

/** GetLaunchAtLogin / GET /api/autostart; SetLaunchAtLogin(on) / PUT /api/autostart {enabled} */
export interface LaunchAtLogin {
  enabled: boolean
  /** false: this system cannot start Switchboard at login */
  supported: boolean
  /** what the login session runs, e.g. "/usr/bin/switchboard --minimized" */
  command: string
  /** why it is unavailable (absent when all is well) */
  error?: string
}

// ---------------------------------------------------------------------------
// Quota: each account's limit windows (Limits page, Overview card, tray)

/** where a window's figures come from: the vendor's usage endpoint, rate-limit headers, a 429/402 answer */
export type QuotaSource = 'usage' | 'headers' | 'error'

/** ok; reserve: less left than the reserve (routing prefers others); exhausted: skipped until its reset */
export type QuotaState = 'ok' | 'reserve' | 'exhausted'

/** one named limit window of an account */
export interface QuotaWindow {
  /** stable id within the account: "5h", "7d", "primary", "requests", "tokens", "limit"… */
  name: string
  /** for people: "5-hour", "Weekly (Opus)", "Requests" */
  label: string
  /** scoped to models whose id contains this ("opus"); absent: the whole account */
  model?: string
  /** percent used, 0…100 (0 once the reset passed: stale) */
  percent: number
  /** counts, when the vendor gives them */
  remaining?: number
  limit?: number
  /** RFC 3339; absent when the vendor did not say */
  resetAt?: string
  /** the window's length in seconds, when known */
  spanSec?: number
  source: QuotaSource | string
  /** RFC 3339: when the figure was read (its freshness) */
  observedAt: string
  /** a plan window (hours to a month), not a per-minute rate limit */
  plan: boolean
  exhausted: boolean
  /** the reset passed (or the figure is old) and no newer figure came yet */
  stale: boolean
}

/** one account's quota (ListQuota / GET /api/quota) */
export interface QuotaAccount {
  accountId: string
  /** "" for a keyless provider */
  account: string
  provider: string
  providerName: string
  state: QuotaState | string
  /** the live window closest to used up; absent when none is known */
  tightest?: QuotaWindow
  windows: QuotaWindow[]
  /** state exhausted: RFC 3339, when routing uses it again */
  exhaustedUntil?: string
  /** a usage endpoint is asked (sign-ins of Claude and Codex) */
  polled: boolean
  lastPollAt?: string
  nextPollAt?: string
  /** why the last poll failed */
  pollError?: string
}

/** ListQuota / GET /api/quota */
export interface QuotaOverview {
  reservePercent: number
  /** the config file sets the reserve (the settings' value does not apply) */
  reserveFromConfig: boolean
  thresholdPercent: number
  /** in routing order */
  accounts: QuotaAccount[]
}

/** TrayQuota / GET /api/quota/tray: one provider's tightest window */
export interface QuotaProviderLine {
  provider: string
  providerName: string
  /** whose window it is */
  account: string
  state: QuotaState | string
  window?: QuotaWindow
  /** state exhausted: RFC 3339, when the first account is back */
  exhaustedUntil?: string
}
