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
