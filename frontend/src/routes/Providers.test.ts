import { screen, waitFor, within } from '@testing-library/dom'
import userEvent from '@testing-library/user-event'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { ProviderView } from '../lib/api/types'
import {
  account,
  catalogEntry,
  errorResponse,
  installWails,
  jsonResponse,
  providerView,
  stubBackend,
  type RecordedCall,
} from '../test/fakes'

// The stores are module singletons: each test renders from a fresh module graph.
let cleanup: (() => void) | undefined

async function renderPage() {
  const tl = await import('@testing-library/svelte')
  const { default: Providers } = await import('./Providers.svelte')
  cleanup = tl.cleanup
  return tl.render(Providers)
}

beforeEach(() => {
  vi.resetModules()
})

afterEach(() => {
  cleanup?.()
  cleanup = undefined
})

const catalog = [
  catalogEntry('openai', 'api-key', { name: 'OpenAI' }),
  catalogEntry('glm', 'subscription', { name: 'Z.ai GLM' }),
  catalogEntry('groq', 'cheap', { name: 'Groq' }),
  catalogEntry('ollama', 'local', { name: 'Ollama' }),
]

/** An in-memory backend for the Providers page over HTTP. */
function backend(initial: ProviderView[]) {
  let providers = structuredClone(initial)
  let aliases: Record<string, string> = { fast: 'groq/llama' }
  let n = 0
  const models = () => [
    ...providers.flatMap((p) =>
      p.models.map((m) => ({ ID: `${p.prefix}/${m.id}`, Provider: p.id, Upstream: m.id, Context: 0, MaxOutput: 0, Embedding: false, Alias: false })),
    ),
    ...Object.keys(aliases).map((a) => ({ ID: a, Provider: '', Upstream: '', Context: 0, MaxOutput: 0, Embedding: false, Alias: true })),
  ]
  const stub = stubBackend((c: RecordedCall) => {
    const { method, url } = c
    const body = c.body as Record<string, unknown>
    if (method === 'GET' && url === '/api/catalog') return catalog
    if (method === 'GET' && url === '/api/providers') return providers
    if (method === 'GET' && url === '/api/models') return models()
    if (method === 'GET' && url === '/api/aliases') return aliases
    if (method === 'PUT' && url === '/api/aliases') {
      if (body.Target) aliases = { ...aliases, [String(body.Alias)]: String(body.Target) }
      else delete aliases[String(body.Alias)]
      return undefined
    }
    let m = /^\/api\/providers\/([^/]+)\/accounts$/.exec(url)
    if (method === 'POST' && m) {
      const pid = decodeURIComponent(m[1])
      if (body.name === 'dup') return errorResponse(400, `provider "${pid}" already has an account named "dup"`, 'invalid')
      const key = String(body.apiKey)
      const view = account(`a_${++n}`, String(body.name), { last4: key.slice(-4) })
      const p = providers.find((x) => x.id === pid)
      if (p) p.accounts.push(view)
      else {
        const entry = catalog.find((e) => e.id === pid)!
        providers.push({ ...entry, source: 'store', disabled: false, usable: true, accounts: [view] })
      }
      return jsonResponse(view, 201)
    }
    m = /^\/api\/providers\/([^/]+)\/test(?:\?account=(.*))?$/.exec(url)
    if (method === 'POST' && m) {
      const p = providers.find((x) => x.id === m![1])!
      return p.accounts.map((a) =>
        a.name === 'broken'
          ? { ok: false, account: a.name, latencyMs: 30, error: 'upstream said 401: invalid api key' }
          : { ok: true, account: a.name, latencyMs: 42 },
      )
    }
    m = /^\/api\/accounts\/([^/]+)$/.exec(url)
    if (m && method === 'PATCH') {
      for (const p of providers) for (const a of p.accounts) if (a.id === m[1]) Object.assign(a, body)
      return undefined
    }
    if (m && method === 'DELETE') {
      for (const p of providers) p.accounts = p.accounts.filter((a) => a.id !== m![1])
      return undefined
    }
    if (method === 'POST' && url === '/api/providers') {
      if (String(body.baseUrl).includes('10.')) return errorResponse(400, 'provider "x": base URL is a private address; allow local to use it', 'invalid')
      providers.push({
        ...catalogEntry(String(body.id), body.allowLocal ? 'local' : 'api-key'),
        prefix: String(body.prefix || body.id),
        models: (body.models as string[]).map((id) => ({ id, context: 0, inputPrice: 0, outputPrice: 0, embedding: false })),
        source: 'store',
        disabled: false,
        usable: false,
        accounts: [],
      })
      return undefined
    }
    m = /^\/api\/providers\/([^/]+)$/.exec(url)
    if (m && method === 'DELETE') {
      providers = providers.filter((p) => p.id !== m![1])
      return undefined
    }
    return errorResponse(404, `no route ${method} ${url}`)
  })
  return { ...stub, providers: () => providers, aliases: () => aliases }
}

const configProvider = providerView('corp', [account('a_cfg1', 'ops', { source: 'config', last4: 'wxyz' })], {
  name: 'Corp proxy',
  source: 'config',
  usable: true,
})
const storeProvider = providerView('openai', [account('a_st01', 'work', { last4: '1234', maxConcurrent: 4, rpm: 60 })], {
  name: 'OpenAI',
  usable: true,
})

/** (role queries over the whole catalog are slow in jsdom: rows are found by their data attributes) */
const accountRow = (providerId: string, name: string) =>
  card(providerId)?.querySelector(`[data-testid="account-row"][data-account-name="${name}"]`) as HTMLElement | null

const card = (id: string) => document.querySelector(`[data-testid="provider-card"][data-provider-id="${id}"]`) as HTMLElement

describe('Providers page', () => {
  it('lists configured providers with masked keys; config-file ones are read-only', async () => {
    backend([configProvider, storeProvider])
    await renderPage()
    await screen.findByRole('heading', { name: 'Corp proxy' })

    const corp = within(card('corp'))
    expect(corp.getByTestId('provider-source').textContent).toBe('Config file')
    expect(corp.getByTestId('config-note').textContent).toMatch(/config file/)
    const ops = accountRow('corp', 'ops')!
    expect(within(ops).getByTestId('account-key').textContent).toBe('…wxyz')
    expect(ops.textContent).toMatch(/defined in the config file/)
    expect(corp.queryByRole('button', { name: /Remove/ })).toBeNull()
    expect(corp.queryByRole('button', { name: /Disable|Enable/ })).toBeNull()
    expect(corp.queryByRole('button', { name: /Add account/ })).toBeNull()
    expect(corp.getByRole('button', { name: 'Test Corp proxy' })).toBeTruthy()

    const oa = within(card('openai'))
    expect(oa.getByTestId('provider-source').textContent).toBe('Added here')
    expect(oa.getByTestId('provider-state').textContent).toBe('Ready')
    const work = accountRow('openai', 'work')!
    expect(within(work).getByTestId('account-key').textContent).toBe('…1234')
    expect(work.textContent).toMatch(/4/)
    expect(work.textContent).toMatch(/60/)
    expect(oa.getByRole('button', { name: 'Remove account work' })).toBeTruthy()
    expect(oa.getByRole('button', { name: 'Disable account work' })).toBeTruthy()
  })

  it('offers no account form for a catalog entry the config file configures', async () => {
    backend([{ ...storeProvider, source: 'config', accounts: [] }])
    await renderPage()
    await screen.findByRole('heading', { name: 'OpenAI', level: 3 })
    const entry = document.querySelector('[data-testid="catalog-entry"][data-provider-id="openai"]') as HTMLElement
    expect(entry.textContent).toMatch(/defined in the config file/)
    expect(within(entry).queryByRole('button', { name: /Add account/ })).toBeNull()
    const groq = document.querySelector('[data-testid="catalog-entry"][data-provider-id="groq"]') as HTMLElement
    expect(within(groq).getByRole('button', { name: 'Add account for Groq' })).toBeTruthy()
  })

  it('adds an account: posts the right body, clears the key input, shows only …last4', async () => {
    const user = userEvent.setup()
    const { calls } = backend([storeProvider])
    await renderPage()
    await screen.findByRole('heading', { name: 'OpenAI', level: 3 })

    const oa = within(card('openai'))
    await user.click(oa.getByRole('button', { name: 'Add account to OpenAI' }))
    const form = within(oa.getByRole('form', { name: 'Add an account to OpenAI' }))
    const keyInput = form.getByLabelText('API key') as HTMLInputElement
    expect(keyInput.type).toBe('password')
    await user.type(form.getByLabelText('Account name'), 'personal')
    await user.type(keyInput, 'sk-proj-SECRET-9876')
    await user.type(form.getByLabelText('Requests / min'), '30')
    await user.click(form.getByRole('button', { name: 'Add account' }))

    await waitFor(() => expect(accountRow('openai', 'personal')!).toBeTruthy())
    const post = calls.find((c) => c.method === 'POST' && c.url === '/api/providers/openai/accounts')
    expect(post?.body).toEqual({ name: 'personal', apiKey: 'sk-proj-SECRET-9876', priority: 0, maxConcurrent: 0, rpm: 30 })
    expect(within(accountRow('openai', 'personal')!).getByTestId('account-key').textContent).toBe('…9876')
    // the form closed; the secret is nowhere on the page, not even in an input
    expect(oa.queryByRole('form')).toBeNull()
    expect(document.body.textContent).not.toContain('SECRET')
    expect([...document.querySelectorAll('input')].some((i) => i.value.includes('SECRET'))).toBe(false)

    // opened again, the form starts empty
    await user.click(oa.getByRole('button', { name: 'Add account to OpenAI' }))
    expect((oa.getByLabelText('API key') as HTMLInputElement).value).toBe('')
  })

  it('shows a 400 from the server inline in the add-account form', async () => {
    const user = userEvent.setup()
    backend([storeProvider])
    await renderPage()
    await screen.findByRole('heading', { name: 'OpenAI', level: 3 })
    const oa = within(card('openai'))
    await user.click(oa.getByRole('button', { name: 'Add account to OpenAI' }))
    const form = within(oa.getByRole('form', { name: 'Add an account to OpenAI' }))
    await user.type(form.getByLabelText('Account name'), 'dup')
    await user.type(form.getByLabelText('API key'), 'sk-whatever-0000')
    await user.click(form.getByRole('button', { name: 'Add account' }))
    expect((await form.findByRole('alert')).textContent).toBe('provider "openai" already has an account named "dup"')
    expect(oa.getByRole('form')).toBeTruthy()
  })

  it('tests a provider: latency per working account, the error per failing one', async () => {
    const user = userEvent.setup()
    const p = providerView('openai', [account('a_0001', 'work'), account('a_0002', 'broken')], { name: 'OpenAI', usable: true })
    const { calls } = backend([p])
    await renderPage()
    await screen.findByRole('heading', { name: 'OpenAI', level: 3 })
    const oa = within(card('openai'))
    await user.click(oa.getByRole('button', { name: 'Test OpenAI' }))

    const ok = await waitFor(() => within(accountRow('openai', 'work')!).getByTestId('test-result'))
    expect(ok.textContent).toBe('OK · 42 ms')
    const bad = within(accountRow('openai', 'broken')!).getByTestId('test-result')
    expect(bad.textContent).toMatch(/Failed: upstream said 401: invalid api key/)
    expect(calls.some((c) => c.method === 'POST' && c.url === '/api/providers/openai/test')).toBe(true)
  })

  it('disables, re-enables and (after confirming) removes a stored account', async () => {
    const user = userEvent.setup()
    const { calls } = backend([storeProvider])
    await renderPage()
    await screen.findByRole('heading', { name: 'OpenAI', level: 3 })
    const oa = within(card('openai'))

    await user.click(oa.getByRole('button', { name: 'Disable account work' }))
    await oa.findByRole('button', { name: 'Enable account work' })
    expect(calls.find((c) => c.method === 'PATCH')).toMatchObject({ url: '/api/accounts/a_st01', body: { disabled: true } })
    await user.click(oa.getByRole('button', { name: 'Enable account work' }))
    await oa.findByRole('button', { name: 'Disable account work' })

    await user.click(oa.getByRole('button', { name: 'Remove account work' }))
    expect(calls.some((c) => c.method === 'DELETE')).toBe(false)
    await user.click(oa.getByRole('button', { name: 'Confirm remove account work' }))
    await waitFor(() => expect(accountRow('openai', 'work')).toBeNull())
    expect(calls.find((c) => c.method === 'DELETE')?.url).toBe('/api/accounts/a_st01')
  })

  it('groups the catalog by tier and adds an account to an unconfigured entry', async () => {
    const user = userEvent.setup()
    const { calls } = backend([])
    await renderPage()
    expect((await screen.findByTestId('providers-empty')).textContent).toMatch(/No providers yet/)

    const tiers = [...document.querySelectorAll('[data-testid="catalog-tier"]')].map((t) => t.getAttribute('data-tier'))
    expect(tiers).toEqual(['subscription', 'api-key', 'cheap', 'local'])
    const groq = within(document.querySelector('[data-testid="catalog-entry"][data-provider-id="groq"]') as HTMLElement)
    expect((groq.getByRole('link', { name: /Docs/ }) as HTMLAnchorElement).href).toBe('https://docs.example/groq')

    await user.click(groq.getByRole('button', { name: 'Add account for Groq' }))
    const form = within(groq.getByRole('form', { name: 'Add an account to Groq' }))
    await user.type(form.getByLabelText('Account name'), 'free')
    await user.type(form.getByLabelText('API key'), 'gsk_abcdefgh5555')
    await user.click(form.getByRole('button', { name: 'Add account' }))

    await waitFor(() => expect(card('groq')).toBeTruthy())
    expect(calls.find((c) => c.url === '/api/providers/groq/accounts')?.body).toMatchObject({ name: 'free', apiKey: 'gsk_abcdefgh5555' })
    expect(within(card('groq')).getByTestId('account-key').textContent).toBe('…5555')
    expect(groq.queryByRole('form')).toBeNull()
    expect(groq.getByText('Configured')).toBeTruthy()
  })

  it('adds a custom provider with the right body, and shows a server refusal inline', async () => {
    const user = userEvent.setup()
    const { calls } = backend([])
    await renderPage()
    await screen.findByTestId('providers-empty')
    const form = within(screen.getByRole('form', { name: 'Add a custom provider' }))

    await user.type(form.getByLabelText('ID'), 'x')
    await user.type(form.getByLabelText('Base URL'), 'http://10.0.0.5:8000/v1')
    await user.click(form.getByRole('button', { name: 'Add provider' }))
    expect((await form.findByRole('alert')).textContent).toMatch(/private address/)

    await user.clear(form.getByLabelText('ID'))
    await user.type(form.getByLabelText('ID'), 'fake')
    await user.selectOptions(form.getByLabelText('Type'), 'anthropic-compatible')
    await user.clear(form.getByLabelText('Base URL'))
    await user.type(form.getByLabelText('Base URL'), 'http://127.0.0.1:9999')
    await user.type(form.getByLabelText('Prefix'), 'fk')
    await user.type(form.getByLabelText('Models'), 'm1, m2')
    await user.click(form.getByLabelText(/Allow local/))
    await user.click(form.getByRole('button', { name: 'Add provider' }))

    await waitFor(() => expect(card('fake')).toBeTruthy())
    const saves = calls.filter((c) => c.method === 'POST' && c.url === '/api/providers')
    expect(saves.at(-1)?.body).toEqual({
      id: 'fake',
      type: 'anthropic-compatible',
      name: '',
      prefix: 'fk',
      baseUrl: 'http://127.0.0.1:9999',
      allowLocal: true,
      models: ['m1', 'm2'],
      disabled: false,
    })
    expect(form.queryByRole('alert')).toBeNull()
    expect((form.getByLabelText('ID') as HTMLInputElement).value).toBe('')
  })

  it('manages aliases, offering the routable models as targets', async () => {
    const user = userEvent.setup()
    const { calls } = backend([storeProvider])
    await renderPage()
    const panel = within(await screen.findByTestId('aliases-panel'))
    const row = (alias: string) => document.querySelector(`[data-testid="alias-row"][data-alias="${alias}"]`)
    await waitFor(() => expect(row('fast')?.textContent).toMatch(/fast\s*→\s*groq\/llama/))

    const options = () => [...document.querySelectorAll('#alias-targets option')].map((o) => (o as HTMLOptionElement).value)
    await waitFor(() => expect(options()).toEqual(['openai/openai-model']))

    await user.type(panel.getByLabelText('Alias'), 'smart')
    await user.type(panel.getByLabelText('Target model'), 'openai/openai-model')
    await user.click(panel.getByRole('button', { name: 'Add alias' }))
    await waitFor(() => expect(row('smart')).toBeTruthy())
    expect(calls.find((c) => c.method === 'PUT')?.body).toEqual({ Alias: 'smart', Target: 'openai/openai-model' })
    expect((panel.getByLabelText('Alias') as HTMLInputElement).value).toBe('')

    await user.click(panel.getByRole('button', { name: 'Delete alias fast' }))
    await waitFor(() => expect(row('fast')).toBeNull())
    expect(calls.filter((c) => c.method === 'PUT').at(-1)?.body).toEqual({ Alias: 'fast', Target: '' })
  })

  it('works over Wails bindings too', async () => {
    const user = userEvent.setup()
    const fetchMock = vi.fn()
    vi.stubGlobal('fetch', fetchMock)
    let providers = [structuredClone(storeProvider)]
    const { App } = installWails({
      GetCatalog: async () => catalog,
      ListProviders: async () => providers,
      ListModels: async () => [],
      ListAliases: async () => ({}),
      AddAccount: async (pid: string, a: { name: string; apiKey: string }) => {
        const v = account('a_w1', a.name, { last4: a.apiKey.slice(-4) })
        providers = providers.map((p) => (p.id === pid ? { ...p, accounts: [...p.accounts, v] } : p))
        return v
      },
      TestProvider: async () => [{ ok: true, account: 'work', latencyMs: 1500 }],
    })
    await renderPage()
    await screen.findByRole('heading', { name: 'OpenAI', level: 3 })
    const oa = within(card('openai'))
    await user.click(oa.getByRole('button', { name: 'Add account to OpenAI' }))
    await user.type(oa.getByLabelText('Account name'), 'w')
    await user.type(oa.getByLabelText('API key'), 'key-4242')
    await user.click(oa.getByRole('button', { name: 'Add account' }))
    await waitFor(() => expect(accountRow('openai', 'w')).toBeTruthy())
    expect(App.AddAccount).toHaveBeenCalledWith('openai', { name: 'w', apiKey: 'key-4242', priority: 0, maxConcurrent: 0, rpm: 0 })
    await user.click(oa.getByRole('button', { name: 'Test OpenAI' }))
    expect((await oa.findByText(/OK · 1\.50 s/)).textContent).toBe('OK · 1.50 s')
    expect(App.TestProvider).toHaveBeenCalledWith('openai', '')
    expect(fetchMock).not.toHaveBeenCalled()
  })
})
