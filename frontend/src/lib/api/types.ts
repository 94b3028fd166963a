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
}

export type KeySource = 'dashboard' | 'cli' | 'config'

export interface ApiKey {
  id: string
  name: string
  last4: string
  /** RFC 3339 */
  createdAt: string
  /** RFC 3339, or "" when never used */
  lastUsedAt: string
  source: KeySource
}

export interface CreatedKey {
  key: ApiKey
  /** the full secret (sk-sb-…), returned exactly once */
  secret: string
}

export type Theme = 'system' | 'light' | 'dark'

export interface Settings {
  logRequestBodies: boolean
  theme: Theme
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
  /** "ok" | "disabled" | … */
  state: string
}

/** a configured provider */
export interface ProviderView extends CatalogEntry {
  source: DefinitionSource
  disabled: boolean
  usable: boolean
  accounts: AccountView[]
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
}

/** alias → target model */
export type Aliases = Record<string, string>

// ---------------------------------------------------------------------------
// Request log

export type LogStatusFilter = '' | 'ok' | 'error'

/** ListLogs(filter) / GET /api/logs?provider=&model=&key=&status=&errorKind=&limit= */
export interface LogFilter {
  provider: string
  model: string
  keyName: string
  status: LogStatusFilter
  errorKind: string
  limit: number
}

export interface LogRow {
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
  requestBody?: string
  responseBody?: string
}

/** one routing decision of a request: a target tried (or skipped) and the outcome */
export interface RouteStep {
  /** provider/account/model */
  target: string
  /** "ok", an error kind, or "skipped: …" */
  result: string
  status?: number
  error?: string
}
