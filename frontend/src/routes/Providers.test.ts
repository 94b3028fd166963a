import { screen, waitFor, within } from '@testing-library/dom'
import userEvent from '@testing-library/user-event'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { AccountView, ProviderView, RefreshLogEntry, SignInFlow, SignInProvider } from '../lib/api/types'
import {
  account,
  catalogEntry,
  CLAUDE_RISK,
  errorResponse,
  installWails,
  jsonResponse,
  providerView,
  refreshLogEntry,
  signInAccount,
  signInFlow,
  signInProvider,
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

/** what an `extra` route handler of backend() answers for a route it does not serve */
const PASS = Symbol('pass')
type Extra = (c: RecordedCall, providers: ProviderView[]) => Response | unknown | typeof PASS

/** An in-memory backend for the Providers page over HTTP (`extra` serves more routes first). */
function backend(initial: ProviderView[], extra?: Extra) {
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
    const handled = extra ? extra(c, providers) : PASS
    if (handled !== PASS) return handled
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
  check: 'ok',
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

// ---------------------------------------------------------------------------
// Subscriptions: signing in with Claude / ChatGPT plans

const CLAUDE = 'Claude (Pro/Max sign-in)'
const EMAIL = 'me@example.com'

interface SignInScript {
  providers?: SignInProvider[]
  /** the status each poll of a flow answers, in turn (the last one repeats) */
  polls?: SignInFlow['status'][]
  /** a failed flow's error */
  error?: string
  log?: RefreshLogEntry[]
  /** POST /api/accounts/{id}/refresh answers 502 with this message */
  refreshError?: string
  /** flows are device-code sign-ins with this user code */
  userCode?: string
}

/** backend() plus the sign-in routes: flows advance through `polls`, a finished one adds the account */
function signInBackend(initial: ProviderView[], script: SignInScript = {}) {
  const flows = new Map<string, { flow: SignInFlow; polls: number }>()
  let log = [...(script.log ?? [])]
  let n = 0
  const signedIn = (providers: ProviderView[], provider: string, name: string, email: string) => {
    name = name || email // as the server does: an unnamed account is named after the email
    const view = signInAccount(`a_s${++n}`, name, { email })
    const p = providers.find((x) => x.id === provider)
    if (p) p.accounts = [...p.accounts.filter((a) => a.name !== name), view]
    else providers.push(providerView(provider, [view], { name: CLAUDE, tier: 'subscription', usable: true }))
    log = [refreshLogEntry('signed_in', { provider, account: name, accountId: view.id, at: new Date().toISOString() }), ...log]
    return view
  }
  const finish = (providers: ProviderView[], f: SignInFlow, status: SignInFlow['status']) => {
    if (f.status !== 'pending') return
    f.status = status
    if (status === 'done') f.email = signedIn(providers, f.provider, f.account, EMAIL).email
    if (status === 'failed') f.error = script.error ?? 'invalid_grant'
  }
  const b = backend(initial, (c, providers) => {
    const { method, url } = c
    const body = (c.body ?? {}) as Record<string, string>
    if (method === 'GET' && url === '/api/signin') return script.providers ?? [signInProvider('claude')]
    if (method === 'GET' && url === '/api/signin/log') return log
    let m = /^\/api\/signin\/flows\/([^/]+)(\/code)?$/.exec(url)
    const entry = m ? flows.get(m[1]) : undefined
    if (m && !entry) return errorResponse(404, 'no such sign-in')
    if (entry && method === 'GET') {
      const polls = script.polls ?? ['pending']
      const next = polls[Math.min(entry.polls++, polls.length - 1)]
      if (next !== 'pending') finish(providers, entry.flow, next)
      return entry.flow
    }
    if (entry && method === 'POST' && m![2]) {
      finish(providers, entry.flow, body.code === 'bad#code' ? 'failed' : 'done')
      return entry.flow
    }
    if (entry && method === 'DELETE') {
      entry.flow.status = 'canceled'
      return new Response(null, { status: 204 })
    }
    m = /^\/api\/signin\/([^/]+)(\/import)?$/.exec(url)
    if (m && method === 'POST' && m[2]) return jsonResponse(signedIn(providers, m[1], body.account, 'cli@example.com'), 201)
    if (m && method === 'POST') {
      const flow = signInFlow(`f_${++n}`, m[1], { account: body.account })
      if (script.userCode) Object.assign(flow, { device: true, userCode: script.userCode, manualUrl: '', url: 'https://idp.example/device' })
      flows.set(flow.id, { flow, polls: 0 })
      return jsonResponse(flow, 201)
    }
    m = /^\/api\/accounts\/([^/]+)\/refresh$/.exec(url)
    if (m && method === 'POST') {
      if (script.refreshError) return errorResponse(502, script.refreshError)
      for (const p of providers)
        for (const a of p.accounts)
          if (a.id === m[1]) {
            Object.assign(a, { tokenState: 'valid', refreshedAt: new Date().toISOString() })
            log = [refreshLogEntry('refreshed', { provider: p.id, account: a.name, accountId: a.id }), ...log]
            return a
          }
      return errorResponse(404, 'no such account')
    }
    return PASS
  })
  const polls = () => b.calls.filter((c) => c.method === 'GET' && c.url.startsWith('/api/signin/flows/')).length
  return { ...b, flows, polls }
}

const subscription = (id = 'claude') =>
  document.querySelector(`[data-testid="signin-provider"][data-provider-id="${id}"]`) as HTMLElement
const signInRow = (provider: string, name: string) =>
  subscription(provider)?.querySelector(`[data-testid="signin-account"][data-account-name="${name}"]`) as HTMLElement | null

/** wait until `find` finds something */
function present<T>(find: () => T | null | undefined): Promise<T> {
  return waitFor(() => {
    const v = find()
    if (!v) throw new Error('not rendered yet')
    return v
  })
}

/** render the page with sign-in flows polled every 20 ms instead of every second */
async function renderFastPolling() {
  const { signInStore } = await import('../lib/stores/signin.svelte')
  signInStore.pollMs = 20
  await renderPage()
  return signInStore
}

describe('Providers page: subscriptions', () => {
  it('shows each subscription with its risk note where the user connects; none on a server without sign-in', async () => {
    signInBackend([], { providers: [signInProvider('claude'), signInProvider('codex')] })
    await renderPage()
    const sub = within(await screen.findByRole('region', { name: 'Subscriptions' }))
    const claude = within(subscription('claude'))
    expect(claude.getByRole('heading', { name: CLAUDE, level: 3 })).toBeTruthy()
    expect(claude.getByTestId('risk-note').textContent).toContain(CLAUDE_RISK)
    const connect = claude.getByRole('button', { name: `Connect ${CLAUDE}` })
    expect(connect.getAttribute('aria-describedby')).toBe(claude.getByTestId('risk-note').id)
    expect((claude.getByLabelText('Account name') as HTMLInputElement).value).toBe('')
    expect((claude.getByLabelText('No browser on this machine') as HTMLInputElement).checked).toBe(false)
    expect(claude.queryByRole('button', { name: /^Import from/ })).toBeNull()
    expect(subscription('codex')).toBeTruthy()
    expect(sub.getByRole('region', { name: 'Refresh log' })).toBeTruthy()

    cleanup?.()
    vi.resetModules()
    backend([storeProvider]) // answers 404 to /api/signin
    await renderPage()
    await screen.findByRole('heading', { name: 'OpenAI', level: 3 })
    expect(screen.queryByRole('region', { name: 'Subscriptions' })).toBeNull()
  })

  it('a device-code sign-in shows the code to enter and the page to enter it on, then finishes by itself', async () => {
    const user = userEvent.setup()
    const open = vi.spyOn(window, 'open').mockImplementation(() => null)
    signInBackend([], { polls: ['pending', 'done'], userCode: 'WDJB-MJHT' })
    await renderFastPolling()
    const claude = within(await present(() => subscription('claude')))
    await user.click(claude.getByRole('button', { name: `Connect ${CLAUDE}` }))
    expect((await claude.findByTestId('user-code')).textContent).toBe('WDJB-MJHT')
    expect(claude.getByTestId('device-url').getAttribute('href')).toBe('https://idp.example/device')
    expect(open).toHaveBeenCalledWith('https://idp.example/device', '_blank', 'noopener,noreferrer')
    expect(claude.queryByLabelText('Code or redirect URL')).toBeNull()
    await waitFor(() => expect(claude.getByTestId('flow-status').textContent).toMatch(`Signed in as ${EMAIL}`))
  })

  it('connects: opens the sign-in page, polls until done, then lists the account with its email', async () => {
    const user = userEvent.setup()
    const open = vi.spyOn(window, 'open').mockImplementation(() => null)
    const b = signInBackend([], { polls: ['pending', 'pending', 'done'] })
    await renderFastPolling()
    const claude = within(await present(() => subscription('claude')))
    await user.clear(claude.getByLabelText('Account name'))
    await user.type(claude.getByLabelText('Account name'), 'work')
    await user.click(claude.getByRole('button', { name: `Connect ${CLAUDE}` }))

    const start = b.calls.find((c) => c.method === 'POST' && c.url === '/api/signin/claude')
    expect(start?.body).toEqual({ account: 'work' })
    const url = 'https://idp.example/claude/authorize?state=f_1'
    expect(open).toHaveBeenCalledWith(url, '_blank', 'noopener,noreferrer')
    // while waiting: progress, the link in case a popup blocker stopped the tab, and Cancel
    expect(claude.getByTestId('flow-status').textContent).toMatch(/Waiting for you to approve/)
    expect(claude.getByRole('link', { name: /Open the sign-in page/ }).getAttribute('href')).toBe(url)
    expect(claude.getByRole('button', { name: `Connect ${CLAUDE}` }).hasAttribute('disabled')).toBe(true)
    expect(claude.getByRole('button', { name: `Cancel sign-in to ${CLAUDE}` })).toBeTruthy()

    await waitFor(() => expect(claude.getByTestId('flow-status').textContent).toMatch(`Signed in as ${EMAIL}`))
    expect(b.polls()).toBe(3)
    const row = await present(() => signInRow('claude', 'work'))
    expect(within(row).getByTestId('signin-email').textContent).toBe(EMAIL)
    expect(within(row).getByTestId('signin-plan').textContent).toBe('max')
    expect(within(row).getByTestId('token-state').textContent?.trim()).toBe('Valid')
    expect(within(row).getByTestId('token-expires').textContent).toMatch(/expires in (7h 5\d|8h 00)m/)
    expect(within(row).getByTestId('token-refreshed').textContent).toMatch(/refreshed 2 minutes ago/)
    // the new account is in the configured providers too, and in the log
    expect(within(card('claude')).getByTestId('account-signin').textContent).toBe(`signed in as ${EMAIL}`)
    expect(within(card('claude')).queryByRole('button', { name: /^Add account/ })).toBeNull()
    await waitFor(() => expect(document.querySelector('[data-testid="refresh-log-row"][data-outcome="signed_in"]')).toBeTruthy())
    // polling stopped
    await new Promise((r) => setTimeout(r, 80))
    expect(b.polls()).toBe(3)
  })

  it('does not open a tab when the desktop app already opened the browser (Wails)', async () => {
    const user = userEvent.setup()
    const open = vi.spyOn(window, 'open').mockImplementation(() => null)
    const { App } = installWails({
      GetCatalog: async () => catalog,
      ListProviders: async () => [],
      ListModels: async () => [],
      ListAliases: async () => ({}),
      ListSignIns: async () => [signInProvider('claude')],
      GetRefreshLog: async () => [],
      StartSignIn: async (p: string, a: string) => signInFlow('f_w', p, { account: a, opened: true }),
      GetSignInFlow: async (id: string) => signInFlow(id, 'claude', { opened: true }),
    })
    await renderFastPolling()
    const claude = within(await present(() => subscription('claude')))
    await user.click(claude.getByRole('button', { name: `Connect ${CLAUDE}` }))
    expect((await claude.findByTestId('flow-status')).textContent).toMatch(/Your browser opened the sign-in page/)
    expect(App.StartSignIn).toHaveBeenCalledWith('claude', '', false)
    await waitFor(() => expect(App.GetSignInFlow).toHaveBeenCalledWith('f_w'))
    expect(open).not.toHaveBeenCalled()
  })

  it('signs in without a browser here: shows the link to copy and finishes with the pasted code', async () => {
    const user = userEvent.setup()
    const open = vi.spyOn(window, 'open').mockImplementation(() => null)
    const b = signInBackend([])
    await renderFastPolling()
    const claude = within(await present(() => subscription('claude')))
    await user.click(claude.getByLabelText('No browser on this machine'))
    await user.click(claude.getByRole('button', { name: `Connect ${CLAUDE}` }))

    expect(b.calls.find((c) => c.url === '/api/signin/claude')?.body).toEqual({ account: '' })
    expect(open).not.toHaveBeenCalled()
    const link = await claude.findByTestId('manual-url')
    expect(link.getAttribute('href')).toBe('https://idp.example/claude/authorize?state=f_1&redirect_uri=manual')
    expect(link.textContent).toBe(link.getAttribute('href'))
    expect(claude.getByRole('button', { name: 'Copy the sign-in link' })).toBeTruthy()

    const form = within(claude.getByRole('form', { name: `Finish signing in to ${CLAUDE}` }))
    await user.click(form.getByRole('button', { name: 'Finish sign-in' }))
    expect((await claude.findByRole('alert')).textContent).toMatch(/Paste the code/)
    await user.type(form.getByLabelText('Code or redirect URL'), '  abc123#st4te ')
    await user.click(form.getByRole('button', { name: 'Finish sign-in' }))

    expect(b.calls.find((c) => c.url === '/api/signin/flows/f_1/code')?.body).toEqual({ code: 'abc123#st4te' })
    await waitFor(() => expect(claude.getByTestId('flow-status').textContent).toMatch(`Signed in as ${EMAIL}`))
    expect(claude.queryByRole('alert')).toBeNull()
    await waitFor(() => expect(signInRow('claude', EMAIL)).toBeTruthy())
  })

  it('shows why a sign-in failed, and offers to try again', async () => {
    const user = userEvent.setup()
    vi.spyOn(window, 'open').mockImplementation(() => null)
    const b = signInBackend([], { polls: ['pending', 'failed'], error: 'oauth: claude: token exchange: invalid_grant (PKCE verification failed)' })
    await renderFastPolling()
    const claude = within(await present(() => subscription('claude')))
    await user.click(claude.getByRole('button', { name: `Connect ${CLAUDE}` }))

    const alert = await claude.findByTestId('flow-error')
    expect(alert.getAttribute('role')).toBe('alert')
    expect(alert.textContent).toBe('Sign-in failed: oauth: claude: token exchange: invalid_grant (PKCE verification failed)')
    expect(claude.queryByRole('button', { name: /^Cancel sign-in/ })).toBeNull()
    expect(claude.getByRole('button', { name: `Connect ${CLAUDE}` }).hasAttribute('disabled')).toBe(false)
    expect(signInRow('claude', EMAIL)).toBeNull()

    await user.click(claude.getByRole('button', { name: 'Try again' }))
    expect(b.calls.filter((c) => c.method === 'POST' && c.url === '/api/signin/claude')).toHaveLength(2)
    expect(await claude.findByTestId('flow-status')).toBeTruthy()
  })

  it('cancels a sign-in in progress: the server is told and polling stops', async () => {
    const user = userEvent.setup()
    vi.spyOn(window, 'open').mockImplementation(() => null)
    const b = signInBackend([])
    await renderFastPolling()
    const claude = within(await present(() => subscription('claude')))
    await user.click(claude.getByRole('button', { name: `Connect ${CLAUDE}` }))
    await waitFor(() => expect(b.polls()).toBeGreaterThan(0))

    await user.click(claude.getByRole('button', { name: `Cancel sign-in to ${CLAUDE}` }))
    expect(b.calls.find((c) => c.method === 'DELETE')?.url).toBe('/api/signin/flows/f_1')
    expect((await claude.findByTestId('flow-status')).textContent).toBe('Sign-in canceled.')
    const after = b.polls()
    await new Promise((r) => setTimeout(r, 80))
    expect(b.polls()).toBe(after)
    await user.click(claude.getByRole('button', { name: 'Dismiss' }))
    expect(claude.queryByTestId('signin-flow')).toBeNull()
  })

  it('imports a CLI login only after a confirmation that explains the shared refresh token', async () => {
    const user = userEvent.setup()
    const b = signInBackend([], { providers: [signInProvider('claude', { importFrom: 'Claude Code' }), signInProvider('codex')] })
    await renderPage()
    const claude = within(await present(() => subscription('claude')))
    expect(within(subscription('codex')).queryByRole('button', { name: /^Import from/ })).toBeNull()

    await user.click(claude.getByRole('button', { name: 'Import from Claude Code' }))
    const confirm = claude.getByRole('group', { name: 'Confirm importing from Claude Code' })
    expect(confirm.textContent).toMatch(/refresh token/)
    expect(confirm.textContent).toMatch(/logged out/)
    expect(confirm.textContent).toMatch(/fresh sign-in/)
    expect(b.calls.some((c) => c.url.endsWith('/import'))).toBe(false)

    // backing out imports nothing
    await user.click(within(confirm).getByRole('button', { name: 'Cancel' }))
    expect(claude.queryByRole('group', { name: /Confirm importing/ })).toBeNull()
    expect(b.calls.some((c) => c.url.endsWith('/import'))).toBe(false)

    await user.click(claude.getByRole('button', { name: 'Import from Claude Code' }))
    await user.click(claude.getByRole('button', { name: 'Import anyway' }))
    expect(b.calls.find((c) => c.url === '/api/signin/claude/import')?.body).toEqual({ account: '' })
    expect((await claude.findByText('Imported cli@example.com from Claude Code.')).getAttribute('role')).toBe('status')
    expect(claude.queryByRole('group', { name: /Confirm importing/ })).toBeNull()
    await waitFor(() => expect(within(signInRow('claude', 'cli@example.com')!).getByTestId('signin-email').textContent).toBe('cli@example.com'))
  })

  it('a signed-out account offers "Sign in again"; a working one "Refresh now"', async () => {
    const user = userEvent.setup()
    vi.spyOn(window, 'open').mockImplementation(() => null)
    const out: AccountView = signInAccount('a_out', 'work', {
      tokenState: 'needs_sign_in',
      state: 'needs_sign_in',
      expiresAt: new Date(Date.now() - 3600_000).toISOString(),
    })
    const ok = signInAccount('a_ok', 'home', { tokenState: 'expiring', expiresAt: new Date(Date.now() + 20 * 60_000).toISOString() })
    const b = signInBackend([providerView('claude', [out, ok], { name: CLAUDE, tier: 'subscription' })])
    await renderFastPolling()
    const work = await present(() => signInRow('claude', 'work'))
    expect(work.dataset.tokenState).toBe('needs_sign_in')
    expect(within(work).getByTestId('token-state').textContent?.trim()).toBe('Needs sign-in')
    expect(within(work).queryByRole('button', { name: /^Refresh now/ })).toBeNull()
    const home = signInRow('claude', 'home')!
    expect(within(home).getByTestId('token-state').textContent?.trim()).toBe('Expiring soon')
    expect(within(home).getByTestId('token-expires').textContent).toMatch(/expires in 20m 00s|expires in 19m 5\ds/)
    expect(within(home).queryByRole('button', { name: /^Sign in again/ })).toBeNull()

    await user.click(within(home).getByRole('button', { name: 'Refresh now for home' }))
    expect(b.calls.find((c) => c.url === '/api/accounts/a_ok/refresh')?.method).toBe('POST')
    await waitFor(() => expect(within(signInRow('claude', 'home')!).getByTestId('token-state').textContent?.trim()).toBe('Valid'))
    await waitFor(() => expect(document.querySelector('[data-testid="refresh-log-row"][data-outcome="refreshed"]')).toBeTruthy())

    await user.click(within(signInRow('claude', 'work')!).getByRole('button', { name: 'Sign in again as work' }))
    expect(b.calls.find((c) => c.method === 'POST' && c.url === '/api/signin/claude')?.body).toEqual({ account: 'work' })
    expect(await within(subscription()).findByTestId('flow-status')).toBeTruthy()
    expect((within(subscription()).getByLabelText('Account name') as HTMLInputElement).value).toBe('work')
  })

  it('shows a failed refresh at the account', async () => {
    const user = userEvent.setup()
    const ok = signInAccount('a_ok', 'home')
    signInBackend([providerView('claude', [ok], { name: CLAUDE })], {
      refreshError: 'oauth: claude: refresh: invalid_grant (refresh token revoked)',
    })
    await renderPage()
    const home = await present(() => signInRow('claude', 'home'))
    await user.click(within(home).getByRole('button', { name: 'Refresh now for home' }))
    expect((await within(signInRow('claude', 'home')!).findByRole('alert')).textContent).toBe(
      'Refresh failed: oauth: claude: refresh: invalid_grant (refresh token revoked)',
    )
  })

  it('renders the refresh log: time, provider, account, outcome and detail', async () => {
    const user = userEvent.setup()
    const many = Array.from({ length: 22 }, (_, i) => refreshLogEntry('refreshed', { account: `acct${i}` }))
    signInBackend([], {
      providers: [signInProvider('claude'), signInProvider('codex')],
      log: [
        refreshLogEntry('failed', { at: '2025-03-04T05:06:07Z', provider: 'codex', account: 'work', detail: 'invalid_grant: refresh token reused' }),
        refreshLogEntry('needs_sign_in', { account: 'old' }),
        refreshLogEntry('signed_in'),
        ...many,
      ],
    })
    await renderPage()
    const panel = within(await screen.findByRole('region', { name: 'Refresh log' }))
    const rows = await waitFor(() => {
      const r = panel.getAllByTestId('refresh-log-row')
      expect(r.length).toBe(20)
      return r
    })
    const cells = (r: HTMLElement) => [...r.querySelectorAll('td')].map((td) => td.textContent?.trim())
    const [first, second] = rows
    expect(first.dataset.outcome).toBe('failed')
    expect(cells(first)).toEqual([
      new Date('2025-03-04T05:06:07Z').toLocaleString(),
      'ChatGPT (Plus/Pro sign-in, Codex)',
      'work',
      'Failed',
      'invalid_grant: refresh token reused',
    ])
    expect(first.querySelector('time')?.getAttribute('datetime')).toBe('2025-03-04T05:06:07Z')
    expect(cells(second).slice(1, 4)).toEqual([CLAUDE, 'old', 'Needs sign-in'])
    expect(cells(rows[2])[3]).toBe('Signed in')
    expect(panel.getByRole('table', { name: 'Refresh log' })).toBeTruthy()

    await user.click(panel.getByRole('button', { name: 'Show all 25' }))
    expect(panel.getAllByTestId('refresh-log-row')).toHaveLength(25)
  })

  it('a catalog entry one signs in to points at its subscription card instead of an API key form', async () => {
    const user = userEvent.setup()
    signInBackend([])
    const { signInStore } = await import('../lib/stores/signin.svelte')
    await renderPage()
    await waitFor(() => expect(signInStore.providers.length).toBe(1))
    // the catalog of these tests has no claude entry: give it one
    const { providersStore } = await import('../lib/stores/providers.svelte')
    providersStore.catalog = [...providersStore.catalog, catalogEntry('claude', 'subscription', { name: CLAUDE })]
    const entry = await present(() => document.querySelector<HTMLElement>('[data-testid="catalog-entry"][data-provider-id="claude"]'))
    expect(within(entry).queryByRole('button', { name: /Add account/ })).toBeNull()
    await user.click(within(entry).getByRole('button', { name: `Connect ${CLAUDE} under Subscriptions` }))
    expect(document.activeElement).toBe(within(subscription()).getByLabelText('Account name'))
  })
})
