// Typed operations of the management API. Each one names its bound Go method
// (Wails window) and its HTTP route (browser); transport.ts picks the channel.
// A later page adds its operations here (or in a sibling file) the same way.

import { call } from './transport'
import type { ApiKey, CreatedKey, Settings, Status } from './types'

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
