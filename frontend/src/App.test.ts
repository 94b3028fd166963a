import { screen, waitFor, within } from '@testing-library/dom'
import userEvent from '@testing-library/user-event'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { errorResponse, installWails, jsonResponse, key, sampleStatus } from './test/fakes'
import type { ApiKey } from './lib/api/types'

// The stores are module singletons: each test renders from a fresh module graph
// (svelte runtime and testing library included, so they share one runtime).
let cleanup: (() => void) | undefined

async function renderApp() {
  const tl = await import('@testing-library/svelte')
  const { default: App } = await import('./App.svelte')
  cleanup = tl.cleanup
  return tl.render(App)
}

beforeEach(() => {
  vi.resetModules()
})

afterEach(() => {
  cleanup?.()
  cleanup = undefined
})

describe('App', () => {
  it('shows the "open the login link" screen when the API answers 401', async () => {
    const fetchMock = vi.fn(async () => errorResponse(401, 'login required', 'unauthorized'))
    vi.stubGlobal('fetch', fetchMock)
    await renderApp()
    const heading = await screen.findByRole('heading', { name: /open the login link/i })
    expect(heading).toBeTruthy()
    expect(screen.getByTestId('login-required').textContent).toMatch(/login\?token=/)
    expect(screen.queryByRole('navigation')).toBeNull()
    expect(screen.queryByLabelText(/password/i)).toBeNull()
  })

  it('runs the dashboard over Wails bindings: endpoint, keys create (secret once) and revoke', async () => {
    const user = userEvent.setup()
    let keys: ApiKey[] = [key('k_seed', 'laptop')]
    const { App } = installWails({
      GetStatus: async () => ({ ...sampleStatus, mode: 'desktop', keys: keys.length }),
      ListKeys: async () => keys,
      CreateKey: async (name: string) => {
        const k = key('k_new9', name, '2025-03-01T00:00:00Z')
        keys = [...keys, k]
        return { key: k, secret: 'sk-sb-THE-SECRET-new9' }
      },
      RevokeKey: async (id: string) => {
        keys = keys.filter((k) => k.id !== id)
        return null
      },
      GetSettings: async () => ({ logRequestBodies: false, theme: 'system' }),
    })
    const fetchMock = vi.fn()
    vi.stubGlobal('fetch', fetchMock)

    await renderApp()
    expect((await screen.findByTestId('endpoint')).textContent).toBe('http://127.0.0.1:20128')
    expect(screen.getByTestId('base-url-openai').textContent).toContain('http://127.0.0.1:20128/v1')
    expect(screen.getByTestId('base-url-gemini').querySelector('code')?.textContent).toBe('http://127.0.0.1:20128')
    expect(screen.getByTestId('status-mode').textContent).toBe('Desktop')
    const nav = screen.getByRole('navigation', { name: 'Main' })
    expect(within(nav).getAllByRole('link').map((a) => a.textContent?.trim())).toEqual([
      'Overview',
      'Providers',
      'Limits',
      'Combos',
      'CLI Tools',
      'API keys',
      'Health',
      'Analytics',
      'Logs',
      'Playground',
      'Setup',
      'Settings',
    ])

    await screen.findByRole('rowheader', { name: 'laptop' })

    // create
    await user.type(screen.getByLabelText('Key name'), 'e2e')
    await user.click(screen.getByRole('button', { name: /create key/i }))
    expect(App.CreateKey).toHaveBeenCalledWith('e2e')
    const secret = (await screen.findByLabelText('New API key secret')) as HTMLInputElement
    expect(secret.value).toBe('sk-sb-THE-SECRET-new9')
    expect(screen.getByTestId('new-key').textContent).toMatch(/won't see it again/)
    expect(screen.getByRole('button', { name: 'Copy secret' })).toBeTruthy()
    expect((screen.getByLabelText('Key name') as HTMLInputElement).value).toBe('')
    await user.click(screen.getByRole('button', { name: /done/i }))
    expect(screen.queryByLabelText('New API key secret')).toBeNull()

    // revoke needs a confirmation
    await user.click(screen.getByRole('button', { name: 'Revoke e2e' }))
    expect(App.RevokeKey).not.toHaveBeenCalled()
    await user.click(screen.getByRole('button', { name: 'Confirm revoke e2e' }))
    expect(App.RevokeKey).toHaveBeenCalledWith('k_new9')
    await waitFor(() => expect(screen.queryByRole('rowheader', { name: 'e2e' })).toBeNull())
    expect(screen.getByRole('rowheader', { name: 'laptop' })).toBeTruthy()

    expect(fetchMock).not.toHaveBeenCalled()
  })

  it('navigates to Settings and saves exactly the known settings over HTTP', async () => {
    const user = userEvent.setup()
    // an older or newer server may send fields the PUT would reject: they are never sent back
    let settings: Record<string, unknown> = { logRequestBodies: false, theme: 'system', somethingElse: 1 }
    let putBody: Record<string, unknown> | null = null
    const fetchMock = vi.fn(async (url: string, init: RequestInit) => {
      if (url === '/api/status') return jsonResponse(sampleStatus)
      if (url === '/api/keys') return jsonResponse([])
      if (url === '/api/settings' && init.method === 'PUT') {
        putBody = JSON.parse(String(init.body))
        settings = { ...putBody }
        return jsonResponse(settings)
      }
      if (url === '/api/settings') return jsonResponse(settings)
      return errorResponse(404, 'not found')
    })
    vi.stubGlobal('fetch', fetchMock)
    await renderApp()
    await screen.findByTestId('endpoint')
    await user.click(screen.getByRole('link', { name: 'Settings' }))
    const box = (await screen.findByLabelText('Log request bodies', {}, { timeout: 5000 })) as HTMLInputElement
    expect(box.checked).toBe(false)
    const cache = screen.getByLabelText('Response cache') as HTMLInputElement
    expect(cache.checked).toBe(false)
    expect(screen.getByText(/answered from memory for 10 minutes/).textContent).toMatch(/X-Switchboard-No-Cache: true/)
    const save = screen.getByRole('button', { name: 'Save settings' }) as HTMLButtonElement
    expect(save.disabled).toBe(true)
    await user.click(cache)
    expect(save.disabled).toBe(false)
    await user.click(cache)
    expect(save.disabled).toBe(true)
    await user.click(box)
    await user.click(cache)
    await user.click(screen.getByLabelText('Dark'))
    await user.click(save)
    await waitFor(() => expect(putBody).toEqual({ logRequestBodies: true, responseCache: true, theme: 'dark', quotaReservePercent: 0 }))
    expect(Object.keys(putBody!).sort()).toEqual(['logRequestBodies', 'quotaReservePercent', 'responseCache', 'theme'])
    await waitFor(() => expect(document.documentElement.dataset.theme).toBe('dark'))
    await waitFor(() => expect(save.disabled).toBe(true))
    expect((screen.getByLabelText('Response cache') as HTMLInputElement).checked).toBe(true)
  })

  it('the header theme switch applies at once and saves without the Settings form', async () => {
    const user = userEvent.setup()
    let settings: Record<string, unknown> = { logRequestBodies: false, responseCache: false, theme: 'system', quotaReservePercent: 0 }
    const puts: unknown[] = []
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string, init: RequestInit) => {
        if (url === '/api/status') return jsonResponse(sampleStatus)
        if (url === '/api/settings' && init.method === 'PUT') {
          settings = JSON.parse(String(init.body))
          puts.push(settings)
          return jsonResponse(settings)
        }
        if (url === '/api/settings') return jsonResponse(settings)
        return jsonResponse([])
      }),
    )
    await renderApp()
    const sw = await screen.findByRole('radiogroup', { name: 'Theme' })
    await waitFor(() => expect((within(sw).getByLabelText('System') as HTMLInputElement).checked).toBe(true))
    await user.click(within(sw).getByLabelText('Dark'))
    expect(document.documentElement.dataset.theme).toBe('dark')
    await waitFor(() => expect(puts).toEqual([{ logRequestBodies: false, responseCache: false, theme: 'dark', quotaReservePercent: 0 }]))
    await user.click(within(sw).getByLabelText('System'))
    expect(document.documentElement.dataset.theme).toBeUndefined()
    await waitFor(() => expect(puts).toHaveLength(2))
  })
})
