import { screen, waitFor, within } from '@testing-library/dom'
import userEvent from '@testing-library/user-event'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { AccountView, ProviderView } from '../lib/api/types'
import { account, catalogEntry, errorResponse, jsonResponse, providerView, stubBackend, type RecordedCall } from '../test/fakes'

// The Providers page's fixes for what misled (issue 15): tested state,
// unusable providers with their fix, account states in words, the model
// list, edit in place with discovered models, account limits, the catalog
// search, and the custom form's key field and discovery.

let cleanup: (() => void) | undefined

async function renderPage() {
  const tl = await import('@testing-library/svelte')
  const { default: Providers } = await import('./Providers.svelte')
  cleanup = tl.cleanup
  return tl.render(Providers)
}

beforeEach(() => vi.resetModules())
afterEach(() => {
  cleanup?.()
  cleanup = undefined
})

const catalog = [
  catalogEntry('openai', 'api-key', { name: 'OpenAI' }),
  catalogEntry('groq', 'cheap', { name: 'Groq' }),
  catalogEntry('ollama', 'local', { name: 'Ollama' }),
]

const models = (ids: string[]) => ids.map((id) => ({ id, context: 0, inputPrice: 0, outputPrice: 0, embedding: false }))

/** An in-memory backend: providers (saved in place), accounts, discovery. */
function backend(initial: ProviderView[]) {
  const providers = structuredClone(initial)
  let n = 0
  return stubBackend((c: RecordedCall) => {
    const { method, url } = c
    const body = c.body as Record<string, unknown>
    if (method === 'GET' && url === '/api/catalog') return catalog
    if (method === 'GET' && url === '/api/providers') return providers
    if (method === 'GET' && (url === '/api/models' || url === '/api/aliases')) return url === '/api/models' ? [] : {}
    if (method === 'POST' && url === '/api/providers/discover') {
      if (String(body.baseUrl).includes('down')) return errorResponse(400, 'the models endpoint of http://down did not answer with a list', 'invalid')
      return ['llama-3.1-8b', 'qwen2.5']
    }
    if (method === 'POST' && url === '/api/providers') {
      const old = providers.find((p) => p.id === body.id)
      const fields = {
        name: String(body.name || body.id),
        prefix: String(body.prefix || body.id),
        baseUrl: String(body.baseUrl),
        models: models(body.models as string[]),
      }
      if (old) Object.assign(old, fields)
      else providers.push({ ...catalogEntry(String(body.id), 'local'), ...fields, source: 'store', disabled: false, usable: true, accounts: [] })
      return undefined
    }
    let m = /^\/api\/providers\/([^/]+)\/accounts$/.exec(url)
    if (method === 'POST' && m) {
      const view: AccountView = account(`a_${++n}`, String(body.name), { last4: String(body.apiKey).slice(-4), keyless: !body.apiKey })
      const p = providers.find((x) => x.id === m![1])!
      p.accounts.push(view)
      Object.assign(p, { usable: true, unusable: undefined })
      return jsonResponse(view, 201)
    }
    m = /^\/api\/accounts\/([^/]+)$/.exec(url)
    if (m && method === 'PATCH') {
      for (const p of providers) for (const a of p.accounts) if (a.id === m[1]) Object.assign(a, body)
      return undefined
    }
    return errorResponse(404, `no route ${method} ${url}`)
  })
}

const card = (id: string) => document.querySelector(`[data-testid="provider-card"][data-provider-id="${id}"]`) as HTMLElement
const accountRow = (providerId: string, name: string) =>
  card(providerId)?.querySelector(`[data-testid="account-row"][data-account-name="${name}"]`) as HTMLElement | null

describe('Providers page: what no longer misleads', () => {
  it('says untested until something worked, explains an unusable provider with its fix, and words account states', async () => {
    const user = userEvent.setup()
    const soon = new Date(Date.now() + 10 * 60_000).toISOString()
    const fresh = providerView('groq', [account('a_g1', 'main', { state: 'rate_limited', until: soon })], { name: 'Groq', usable: true, check: 'untested' })
    const failing = providerView('mistral', [account('a_m1', 'main', { state: 'auth_failed' })], {
      name: 'Mistral',
      usable: true,
      check: 'failed',
      checkError: 'upstream said 401',
    })
    const lan = providerView('lan', [], {
      name: 'lan',
      custom: true,
      type: 'openai-compatible',
      keyOptional: true,
      usable: false,
      unusable: 'provider "lan" has no account, so no request can go to it',
      check: 'untested',
    })
    const { calls } = backend([fresh, failing, lan])
    await renderPage()
    await waitFor(() => expect(card('lan')).toBeTruthy())
    expect(within(card('groq')).getByTestId('provider-state').textContent).toBe('Untested')
    expect(within(card('mistral')).getByTestId('provider-state').textContent).toBe('Last test failed')
    expect(within(card('mistral')).getByTestId('provider-state').getAttribute('title')).toBe('upstream said 401')
    // readable account states, not codes
    expect(within(accountRow('groq', 'main')!).getByTestId('account-state').textContent?.trim()).toMatch(/^Rate limited: resting until \d/)
    expect(within(accountRow('mistral', 'main')!).getByTestId('account-state').textContent?.trim()).toBe('Key refused by the provider')

    const l = within(card('lan'))
    expect(l.getByTestId('provider-state').textContent).toBe('Not usable')
    expect(l.getByTestId('provider-unusable').textContent).toMatch(/has no account/)
    await user.click(l.getByRole('button', { name: 'Add a keyless account to lan' }))
    await waitFor(() => expect(accountRow('lan', 'keyless')).toBeTruthy())
    expect(calls.filter((c) => c.method === 'POST' && c.url === '/api/providers/lan/accounts').map((c) => c.body)).toEqual([
      { name: 'keyless', apiKey: '', priority: 0, maxConcurrent: 0, rpm: 0 },
    ])
  })

  it('shows the model list, edits a provider in place with discovered models, and edits account limits', async () => {
    const user = userEvent.setup()
    const lan = providerView('lan', [account('a_k', 'keyless', { keyless: true, last4: '' })], {
      name: 'lan',
      prefix: 'lan',
      baseUrl: 'http://127.0.0.1:8000/v1',
      custom: true,
      type: 'openai-compatible',
      allowLocal: true,
      usable: true,
      check: 'ok',
      models: models(['m1']),
    })
    const { calls } = backend([lan])
    await renderPage()
    await waitFor(() => expect(card('lan')).toBeTruthy())
    const l = within(card('lan'))
    expect(l.getByTestId('provider-models').textContent).toMatch(/1 model/)
    expect(l.getAllByTestId('provider-model').map((e) => e.textContent)).toEqual(['lan/m1'])
    expect(within(accountRow('lan', 'keyless')!).getByTestId('account-keyless').textContent).toBe('keyless')

    await user.click(l.getByRole('button', { name: 'Edit lan' }))
    const form = within(l.getByRole('form', { name: 'Edit lan' }))
    expect((form.getByLabelText('Base URL') as HTMLInputElement).value).toBe('http://127.0.0.1:8000/v1')
    await user.click(form.getByRole('button', { name: 'Discover the models of lan' }))
    await waitFor(() => expect((form.getByLabelText('Models') as HTMLTextAreaElement).value).toBe('m1, llama-3.1-8b, qwen2.5'))
    expect(calls.find((c) => c.url === '/api/providers/discover')?.body).toMatchObject({
      id: 'lan',
      type: 'openai-compatible',
      baseUrl: 'http://127.0.0.1:8000/v1',
      allowLocal: true,
    })
    await user.clear(form.getByLabelText('Base URL'))
    await user.type(form.getByLabelText('Base URL'), 'http://127.0.0.1:9000/v1')
    await user.type(form.getByLabelText('Prefix'), 'box')
    await user.click(form.getByRole('button', { name: 'Save changes' }))
    await waitFor(() => expect(l.queryByRole('form', { name: 'Edit lan' })).toBeNull())
    expect(calls.filter((c) => c.method === 'POST' && c.url === '/api/providers').at(-1)?.body).toEqual({
      id: 'lan',
      type: 'openai-compatible',
      name: '',
      prefix: 'box',
      baseUrl: 'http://127.0.0.1:9000/v1',
      allowLocal: true,
      models: ['m1', 'llama-3.1-8b', 'qwen2.5'],
      disabled: false,
    })
    await waitFor(() => expect(l.getAllByTestId('provider-model').map((e) => e.textContent)).toEqual(['box/m1', 'box/llama-3.1-8b', 'box/qwen2.5']))

    // account limits, in place
    await user.click(l.getByRole('button', { name: 'Edit the limits of account keyless' }))
    const lim = within(l.getByTestId('account-limits'))
    await user.type(lim.getByLabelText('RPM'), '30')
    await user.type(lim.getByLabelText('Concurrent'), '2')
    await user.click(lim.getByRole('button', { name: 'Save limits' }))
    await waitFor(() => expect(l.queryByTestId('account-limits')).toBeNull())
    expect(calls.filter((c) => c.method === 'PATCH').map((c) => [c.url, c.body])).toEqual([
      ['/api/accounts/a_k', { priority: 0, maxConcurrent: 2, rpm: 30 }],
    ])
  })

  it('searches the catalog by name, prefix or model', async () => {
    const user = userEvent.setup()
    backend([])
    await renderPage()
    await screen.findByTestId('providers-empty')
    expect(screen.getAllByTestId('catalog-entry')).toHaveLength(3)
    await user.type(screen.getByTestId('catalog-search'), 'groq')
    await waitFor(() => expect(screen.getAllByTestId('catalog-entry').map((e) => e.dataset.providerId)).toEqual(['groq']))
    await user.clear(screen.getByTestId('catalog-search'))
    expect(screen.getAllByTestId('catalog-entry')).toHaveLength(3)
    await user.type(screen.getByTestId('catalog-search'), 'no-such-provider-zzz')
    expect(screen.queryAllByTestId('catalog-entry')).toHaveLength(0)
    expect(screen.getByTestId('catalog-none').textContent).toMatch(/No provider in the catalog matches/)
  })


  it('the custom form takes an API key and discovers the models from the server', async () => {
    const user = userEvent.setup()
    const { calls } = backend([])
    await renderPage()
    const form = within(await screen.findByRole('form', { name: 'Add a custom provider' }))
    await user.type(form.getByLabelText('ID'), 'box')
    await user.type(form.getByLabelText('Models'), 'm1')
    await user.click(form.getByLabelText(/^Allow local network addresses/))
    // a server that does not answer says so; one that does fills the models
    await user.type(form.getByLabelText('Base URL'), 'http://down')
    await user.click(form.getByRole('button', { name: 'Discover models' }))
    expect((await form.findByTestId('discover-error')).textContent).toMatch(/did not answer with a list/)
    await user.clear(form.getByLabelText('Base URL'))
    await user.type(form.getByLabelText('Base URL'), 'http://127.0.0.1:9999/v1')
    await user.click(form.getByRole('button', { name: 'Discover models' }))
    await waitFor(() => expect((form.getByLabelText('Models') as HTMLInputElement).value).toBe('m1, llama-3.1-8b, qwen2.5'))
    expect(form.queryByTestId('discover-error')).toBeNull()
    const key = form.getByLabelText(/API key/) as HTMLInputElement
    expect(key.type).toBe('password')
    await user.type(key, 'sk-local-0001')
    await user.click(form.getByRole('button', { name: 'Add provider' }))
    await waitFor(() => expect(card('box')).toBeTruthy())
    expect(calls.filter((c) => c.method === 'POST' && c.url === '/api/providers').at(-1)?.body).toEqual({
      id: 'box',
      type: 'openai-compatible',
      name: '',
      prefix: '',
      baseUrl: 'http://127.0.0.1:9999/v1',
      allowLocal: true,
      models: ['m1', 'llama-3.1-8b', 'qwen2.5'],
      disabled: false,
      apiKey: 'sk-local-0001',
    })
    expect(key.value).toBe('')
  })
})
