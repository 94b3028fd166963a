import { screen, waitFor, within } from '@testing-library/dom'
import userEvent from '@testing-library/user-event'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { ApiKey, KeyPolicy } from '../lib/api/types'
import { draftFromPolicy, emptyPolicy, policyFromDraft } from '../lib/stores/keyPolicy'
import { key, stubBackend } from '../test/fakes'

let cleanup: (() => void) | undefined

async function renderPage() {
  const tl = await import('@testing-library/svelte')
  const { default: Keys } = await import('./Keys.svelte')
  cleanup = tl.cleanup
  return tl.render(Keys)
}

beforeEach(() => vi.resetModules())
afterEach(() => {
  cleanup?.()
  cleanup = undefined
})

const spend = (usd: number, tokens: number, requests: number) => ({ usd, tokens, requests, unpriced: 0, resetAt: '2031-05-15T00:00:00Z' })

const team: ApiKey = {
  ...key('k_team', 'team'),
  policy: { ...emptyPolicy(), models: ['claude-*', 'coding'], rpm: 60, dailyUsd: 5, monthlyTokens: 1_000_000 },
  usage: { today: spend(4.2, 12_000, 12), month: spend(9, 1_100_000, 40) },
}
const fromConfig: ApiKey = { ...key('k_cfg', 'ci', '2024-01-01T00:00:00Z'), source: 'config', policy: { ...emptyPolicy(), disabled: true } }

function backend(keys: ApiKey[] = [team, fromConfig]) {
  return stubBackend((c) => {
    if (c.method === 'PUT' && c.url === '/api/keys/k_team/policy') return { ...team, policy: c.body as KeyPolicy }
    if (c.url === '/api/keys') return keys
    return undefined
  })
}

const card = (name: string) => document.querySelector(`[data-testid="key-policy"][data-key-name="${name}"]`) as HTMLElement

describe('API keys page', () => {
  it('an empty name explains what to enter, and sends nothing', async () => {
    const user = userEvent.setup()
    const be = backend()
    await renderPage()
    await waitFor(() => expect(card('team')).toBeTruthy())
    expect(screen.getByLabelText('Key name').getAttribute('aria-describedby')).toContain('key-name-help')
    expect(document.getElementById('key-name-help')!.textContent).toMatch(/which app or machine uses the key/)
    await user.click(screen.getByRole('button', { name: 'Create key' }))
    expect(screen.getByRole('alert').textContent).toMatch(/Give the key a name, e\.g\. "laptop"/)
    expect(be.calls.filter((c) => c.method === 'POST')).toEqual([])
    expect(document.activeElement).toBe(screen.getByLabelText('Key name'))
  })

  it('shows the new secret in a modal dialog that only Done closes, with focus kept inside', async () => {
    const user = userEvent.setup()
    const created = { key: key('k_new', 'laptop'), secret: 'sk-sb-brand-new-secret-0001' }
    stubBackend((c) => {
      if (c.method === 'POST' && c.url === '/api/keys') return created
      if (c.url === '/api/keys') return [team]
      return undefined
    })
    await renderPage()
    await waitFor(() => expect(card('team')).toBeTruthy())
    await user.type(screen.getByLabelText('Key name'), 'laptop')
    await user.click(screen.getByRole('button', { name: 'Create key' }))

    const dialog = await screen.findByRole('dialog', { name: /Key “laptop” created/ })
    expect(dialog.getAttribute('aria-modal')).toBe('true')
    expect(dialog.hasAttribute('open')).toBe(true)
    const box = within(dialog).getByTestId('new-key-secret') as HTMLInputElement
    expect(box.value).toBe(created.secret)
    expect(document.activeElement).toBe(box) // focus goes to the secret
    // Escape does not close it; Tab stays inside
    await user.keyboard('{Escape}')
    expect(screen.getByRole('dialog')).toBeTruthy()
    for (let i = 0; i < 5; i++) {
      await user.tab()
      expect(dialog.contains(document.activeElement)).toBe(true)
    }
    await user.click(within(dialog).getByRole('button', { name: "Done, I've saved it" }))
    expect(screen.queryByRole('dialog')).toBeNull()
    expect(screen.queryByText(created.secret)).toBeNull()
  })

  it('speaks the active language: the form, its check, the table and the new key dialog', async () => {
    const user = userEvent.setup()
    const created = { key: key('k_new', 'laptop'), secret: 'sk-sb-brand-new-secret-0002' }
    stubBackend((c) => {
      if (c.method === 'POST' && c.url === '/api/keys') return created
      if (c.url === '/api/keys') return [team]
      return undefined
    })
    await renderPage()
    await waitFor(() => expect(card('team')).toBeTruthy())
    const { applyLanguage } = await import('../lib/i18n')
    try {
      applyLanguage('es')
      await user.click(await screen.findByRole('button', { name: 'Crear clave' }))
      expect(screen.getByRole('alert').textContent).toBe('Ponle un nombre a la clave, p. ej., «portátil» o «ci».')
      expect(screen.getByRole('columnheader', { name: 'Último uso' })).toBeTruthy()
      expect(screen.getByRole('button', { name: 'Revocar team' })).toBeTruthy()
      // the header stays code inside the translated sentence
      const sub = screen.getByText((_, el) => el?.tagName === 'P' && /^Las apps envían una de estas como/.test(el.textContent ?? ''))
      expect(sub.querySelector('code')!.textContent).toBe('Authorization: Bearer <key>')

      await user.type(screen.getByLabelText('Nombre de la clave'), 'laptop')
      await user.click(screen.getByRole('button', { name: 'Crear clave' }))
      const dialog = await screen.findByRole('dialog', { name: 'Clave «laptop» creada' })
      expect(within(dialog).getByRole('button', { name: 'Copiar secreto' }).textContent).toContain('Copiar')
      await user.click(within(dialog).getByRole('button', { name: 'Listo, ya la guardé' }))
      expect(screen.queryByRole('dialog')).toBeNull()
    } finally {
      applyLanguage('en')
    }
  })

  it('shows each key with its policy, state, usage and budget bars', async () => {
    backend()
    await renderPage()
    await waitFor(() => expect(card('team')).toBeTruthy())
    const t = within(card('team'))
    expect(t.getByTestId('key-policy-summary').textContent).toBe('models claude-*, coding · 60 req/min · $5.00/day · 1,000,000 tokens/month')
    expect(t.getByTestId('key-state').textContent).toBe('Active')
    expect(t.getByTestId('key-usage-today').textContent).toBe('12 requests · 12,000 tokens · $4.20')
    const bars = t.getAllByTestId('key-budget')
    expect(bars.map((b) => b.getAttribute('data-tone'))).toEqual(['warn', 'over'])
    expect(bars[0].textContent).toMatch(/\$4\.20 of \$5\.00 \(84%\)/)
    expect(bars[1].textContent).toMatch(/1,100,000 of 1,000,000 \(110%\)/)

    const c = within(card('ci'))
    expect(c.getByTestId('key-state').textContent).toBe('Disabled')
    expect(c.queryByRole('button', { name: /Edit the policy/ })).toBeNull()
    expect(c.getByText('from the config file')).toBeTruthy()
  })

  it('edits a policy and saves exactly its fields', async () => {
    const user = userEvent.setup()
    const { calls } = backend()
    await renderPage()
    await waitFor(() => expect(card('team')).toBeTruthy())
    await user.click(within(card('team')).getByRole('button', { name: 'Edit the policy of team' }))
    const form = within(screen.getByRole('form', { name: 'Policy of team' }))
    const rpm = form.getByLabelText('Requests / minute')
    await user.clear(rpm)
    await user.type(rpm, 'lots')
    await user.click(form.getByRole('button', { name: 'Save policy' }))
    expect((await form.findByRole('alert')).textContent).toMatch(/whole number/)
    expect(calls.some((c) => c.method === 'PUT')).toBe(false)

    await user.clear(rpm)
    await user.type(form.getByLabelText('Daily tokens'), '50000')
    await user.click(form.getByLabelText('Disabled'))
    await user.click(form.getByRole('button', { name: 'Save policy' }))
    await waitFor(() => expect(calls.some((c) => c.method === 'PUT')).toBe(true))
    const put = calls.find((c) => c.method === 'PUT')!
    expect(put.body).toEqual({ ...team.policy, rpm: 0, dailyTokens: 50000, disabled: true })
    await waitFor(() => expect(screen.queryByRole('form', { name: 'Policy of team' })).toBeNull())
  })
})

describe('policy drafts', () => {
  it('round-trip, dates as the local day, patterns by line or comma', () => {
    const p: KeyPolicy = { ...emptyPolicy(), models: ['a/*', 'b'], tpm: 10, monthlyUsd: 2.5, expiresAt: '2031-06-01T10:00:00Z' }
    const d = draftFromPolicy(p)
    expect(policyFromDraft(d, p)).toEqual({ policy: p }) // an untouched date keeps its time
    const out = policyFromDraft({ ...d, models: 'x, y\nz', expires: '2032-01-02' })
    if (!('policy' in out)) throw new Error(out.error)
    expect(out.policy.models).toEqual(['x', 'y', 'z'])
    expect(new Date(out.policy.expiresAt).getDate()).toBe(2)
    expect(policyFromDraft({ ...d, dailyUsd: '-1' })).toEqual({ error: 'The daily budget must be an amount in dollars (empty: no limit).' })
    expect(policyFromDraft({ ...d, models: 'a b' })).toEqual({ error: 'A model pattern cannot contain spaces.' })
  })
})
