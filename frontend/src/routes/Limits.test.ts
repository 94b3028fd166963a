import { screen, waitFor, within } from '@testing-library/dom'
import userEvent from '@testing-library/user-event'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { QuotaAccount, QuotaOverview } from '../lib/api/types'
import {
  errorResponse,
  installWails,
  quotaAccount,
  quotaOverview,
  quotaWindow,
  sampleStatus,
  stubBackend,
  type RecordedCall,
} from '../test/fakes'

const NO_ENDPOINT = 'this account has no usage endpoint; its figures come from the rate-limit headers of its answers'

let cleanup: (() => void) | undefined

async function renderPage() {
  const tl = await import('@testing-library/svelte')
  const { default: Limits } = await import('./Limits.svelte')
  cleanup = tl.cleanup
  return tl.render(Limits)
}

beforeEach(() => {
  vi.resetModules()
})

afterEach(() => {
  cleanup?.()
  cleanup = undefined
})

const inMin = (m: number) => new Date(Date.now() + m * 60_000).toISOString()

/** a Claude Max sign-in at 72 % of its 5 hours, an API key in its reserve, a Codex plan used up */
function seed(): QuotaOverview {
  return quotaOverview([
    quotaAccount(
      'claude:max',
      [
        quotaWindow('5h', { percent: 72, resetAt: inMin(72), observedAt: inMin(-3) }),
        quotaWindow('7d', { percent: 40, resetAt: inMin(50 * 60), observedAt: inMin(-3) }),
      ],
      { providerName: 'Claude', lastPollAt: inMin(-3), nextPollAt: inMin(12) },
    ),
    quotaAccount(
      'openai:key',
      [
        quotaWindow('requests', {
          label: 'Requests',
          percent: 93,
          remaining: 70,
          limit: 1000,
          resetAt: inMin(0.5),
          source: 'headers',
          plan: false,
          observedAt: inMin(-0.1),
        }),
      ],
      { providerName: 'OpenAI', state: 'reserve', polled: false },
    ),
    quotaAccount('codex:plus', [quotaWindow('primary', { label: 'Session', percent: 100, exhausted: true, resetAt: inMin(90), source: 'error' })], {
      providerName: 'ChatGPT',
      state: 'exhausted',
      exhaustedUntil: inMin(90),
    }),
    quotaAccount('gemini:free', [], { providerName: 'Gemini', polled: false }),
  ])
}

/** An in-memory backend for the Limits page over HTTP. */
function backend(initial: QuotaOverview = seed()) {
  let overview = structuredClone(initial)
  let refreshAnswer: (c: RecordedCall) => unknown = (c) => {
    const id = decodeURIComponent(c.url.split('/')[3])
    const a = overview.accounts.find((x) => x.accountId === id)!
    const fresh: QuotaAccount = { ...a, windows: a.windows.map((w) => ({ ...w, percent: 10 })), tightest: { ...a.windows[0], percent: 10 } }
    overview = { ...overview, accounts: overview.accounts.map((x) => (x.accountId === id ? fresh : x)) }
    return fresh
  }
  const stub = stubBackend((c: RecordedCall) => {
    if (c.method === 'GET' && c.url === '/api/quota') return overview
    if (c.method === 'POST' && /^\/api\/quota\/[^/]+\/refresh$/.test(c.url)) return refreshAnswer(c)
    return errorResponse(404, 'no route')
  })
  return {
    ...stub,
    set: (o: QuotaOverview) => (overview = o),
    onRefresh: (f: (c: RecordedCall) => unknown) => (refreshAnswer = f),
    reads: () => stub.calls.filter((c) => c.method === 'GET' && c.url === '/api/quota').length,
  }
}

const card = (id: string) => document.querySelector(`[data-testid="limits-account"][data-account-id="${id}"]`) as HTMLElement
const windowRow = (id: string, name: string) => card(id).querySelector(`[data-testid="limits-window"][data-window="${name}"]`) as HTMLElement
const field = (row: HTMLElement, id: string) => within(row).getByTestId(id).textContent?.trim()

describe('Limits page', () => {
  it("shows every account's windows as bars with percent, counts, reset countdown, source, freshness and state", async () => {
    const { calls } = backend()
    await renderPage()
    await waitFor(() => expect(card('claude:max')).toBeTruthy())
    expect(calls[0]).toMatchObject({ method: 'GET', url: '/api/quota' })
    expect(screen.getByRole('heading', { name: 'Limits', level: 1 })).toBeTruthy()
    expect(screen.getAllByTestId('limits-account').map((c) => c.dataset.accountId)).toEqual(['claude:max', 'openai:key', 'codex:plus', 'gemini:free'])
    expect(screen.getByTestId('limits-policy').textContent).toMatch(/Reserve 10%.*Alerts at 90%/s)

    const max = card('claude:max')
    expect(within(max).getByRole('heading', { level: 2 }).textContent).toBe('Claude · max')
    expect(field(max, 'limits-state')).toBe('OK')
    expect(field(max, 'limits-origin')).toMatch(/^Usage endpoint polled: last asked 3 minutes ago · next in 1[12]m \d\ds\.$/)
    const fiveH = windowRow('claude:max', '5h')
    const bar = within(fiveH).getByRole('meter', { name: '5-hour used' })
    expect(bar.getAttribute('aria-valuenow')).toBe('72')
    expect((bar.querySelector('.fill') as HTMLElement).style.width).toBe('72%')
    expect(bar.dataset.tone).toBe('ok')
    expect(field(fiveH, 'window-percent')).toBe('72% used')
    expect(field(fiveH, 'window-reset')).toMatch(/^resets in 1h 1[12]m$/)
    expect(field(fiveH, 'window-source')).toBe('usage endpoint')
    expect(field(fiveH, 'window-fresh')).toBe('updated 3 minutes ago')
    expect(within(fiveH).queryByTestId('window-counts')).toBeNull()
    expect(field(windowRow('claude:max', '7d'), 'window-percent')).toBe('40% used')
    expect(field(windowRow('claude:max', '7d'), 'window-reset')).toMatch(/^resets in 2d [12]h$/)

    const key = card('openai:key')
    expect(field(key, 'limits-state')).toBe('Reserve')
    expect(field(key, 'limits-origin')).toMatch(/no usage endpoint/)
    const req = windowRow('openai:key', 'requests')
    expect(within(req).getByRole('meter').getAttribute('aria-valuenow')).toBe('93')
    expect(within(req).getByRole('meter').dataset.tone).toBe('high')
    expect(field(req, 'window-counts')).toBe('70 / 1,000 left')
    expect(field(req, 'window-source')).toBe('headers')
    expect(field(req, 'window-reset')).toMatch(/^resets in (29|30)s$/)
    expect(field(req, 'window-fresh')).toBe('updated just now')
    expect(req.textContent).toMatch(/rate limit/)

    const codex = card('codex:plus')
    expect(field(codex, 'limits-state')).toBe('Exhausted')
    expect(field(codex, 'limits-back')).toMatch(/^back in 1h (29|30)m$/)
    const primary = windowRow('codex:plus', 'primary')
    expect(within(primary).getByRole('meter').getAttribute('aria-valuenow')).toBe('100')
    expect(within(primary).getByRole('meter').dataset.tone).toBe('out')
    expect(field(primary, 'window-source')).toBe('429')

    expect(field(card('gemini:free'), 'limits-unknown')).toMatch(/first answer that carries rate-limit headers/)
  })

  it('counts the reset down live, and not while the page is hidden', async () => {
    backend()
    await renderPage()
    await waitFor(() => expect(card('claude:max')).toBeTruthy())
    const reset = () => field(windowRow('claude:max', '5h'), 'window-reset')
    expect(reset()).toMatch(/^resets in 1h 1[12]m$/)

    const t0 = Date.now()
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(t0 + 60 * 60_000) // an hour later
    await waitFor(() => expect(reset()).toMatch(/^resets in 1[12]m \d\ds$/), { timeout: 3000 })
    expect(field(windowRow('claude:max', '5h'), 'window-fresh')).toBe('updated 1 hour ago')

    // hidden: the clock stops (no timer at all), and catches up when shown again
    let state: DocumentVisibilityState = 'hidden'
    vi.spyOn(document, 'visibilityState', 'get').mockImplementation(() => state)
    document.dispatchEvent(new Event('visibilitychange'))
    const frozen = reset()
    vi.setSystemTime(t0 + 70 * 60_000)
    await new Promise((r) => setTimeout(r, 1300))
    expect(reset()).toBe(frozen)
    state = 'visible'
    document.dispatchEvent(new Event('visibilitychange'))
    await waitFor(() => expect(reset()).toMatch(/^resets in [12]m \d\ds$/))
  })

  it('Refresh asks the usage endpoint and shows the fresh figures', async () => {
    const user = userEvent.setup()
    const { calls } = backend()
    await renderPage()
    await waitFor(() => expect(card('claude:max')).toBeTruthy())
    await user.click(within(card('claude:max')).getByRole('button', { name: 'Refresh Claude · max' }))
    expect(calls.filter((c) => c.method === 'POST').map((c) => c.url)).toEqual(['/api/quota/claude%3Amax/refresh'])
    await waitFor(() => expect(field(windowRow('claude:max', '5h'), 'window-percent')).toBe('10% used'))
    expect(within(windowRow('claude:max', '5h')).getByRole('meter').getAttribute('aria-valuenow')).toBe('10')
    expect(within(card('claude:max')).queryByRole('alert')).toBeNull()
  })

  it('shows the server message when a refresh fails, on that account only, and the button is busy meanwhile', async () => {
    const user = userEvent.setup()
    const b = backend()
    let release!: () => void
    b.onRefresh(async () => {
      await new Promise<void>((r) => (release = r))
      return errorResponse(400, NO_ENDPOINT, 'invalid')
    })
    await renderPage()
    await waitFor(() => expect(card('openai:key')).toBeTruthy())
    const button = within(card('openai:key')).getByRole('button', { name: 'Refresh OpenAI · key' }) as HTMLButtonElement
    await user.click(button)
    await waitFor(() => expect(button.disabled).toBe(true))
    expect(button.textContent).toMatch(/Refreshing…/)
    const readsBefore = b.reads()
    release()

    const alert = await within(card('openai:key')).findByRole('alert')
    expect(alert.textContent).toBe(`Could not refresh: ${NO_ENDPOINT}`)
    expect(button.disabled).toBe(false)
    expect(within(card('claude:max')).queryByRole('alert')).toBeNull()
    await waitFor(() => expect(b.reads()).toBe(readsBefore + 1)) // the list is re-read (a failed poll records its error)

    // a later success clears the message
    b.onRefresh(() => quotaAccount('openai:key', [quotaWindow('requests', { percent: 5 })], { providerName: 'OpenAI', polled: false }))
    await user.click(button)
    await waitFor(() => expect(within(card('openai:key')).queryByRole('alert')).toBeNull())
    expect(field(windowRow('openai:key', 'requests'), 'window-percent')).toBe('5% used')
  })

  it("shows a polled account's last poll failure", async () => {
    const o = seed()
    o.accounts[0].pollError = 'HTTP 401: token expired'
    backend(o)
    await renderPage()
    await waitFor(() => expect(card('claude:max')).toBeTruthy())
    expect(field(card('claude:max'), 'limits-poll-error')).toBe('The last poll failed: HTTP 401: token expired')
  })

  it('re-reads the figures when a pushed status carries a new quotaRev, not on every push', async () => {
    const b = backend()
    await renderPage()
    const { statusStore } = await import('../lib/stores/status.svelte')
    await waitFor(() => expect(card('claude:max')).toBeTruthy())
    const reads = b.reads()

    statusStore.set({ ...sampleStatus, quotaRev: 0 })
    statusStore.set({ ...sampleStatus, quotaRev: 0, uptimeSec: 13 })
    await new Promise((r) => setTimeout(r, 50))
    const afterFirst = b.reads()
    expect(afterFirst - reads).toBeLessThanOrEqual(1) // the first value seen; the second push changes nothing

    const o = seed()
    o.accounts[0].windows[0].percent = 81
    b.set(o)
    statusStore.set({ ...sampleStatus, quotaRev: 1 })
    await waitFor(() => expect(field(windowRow('claude:max', '5h'), 'window-percent')).toBe('81% used'))
    expect(b.reads()).toBe(afterFirst + 1)
  })

  it('says when there are no accounts, and when the figures cannot be read', async () => {
    const b = backend(quotaOverview([]))
    await renderPage()
    expect((await screen.findByTestId('limits-empty')).textContent).toMatch(/No accounts yet/)
    cleanup?.()
    b.set(quotaOverview([]))
    stubBackend(() => errorResponse(500, 'internal error'))
    await renderPage()
    expect((await screen.findByRole('alert')).textContent).toBe('Could not load the limits: internal error')
  })

  it('works over the Wails bindings, where a refresh error is the Go error text', async () => {
    const user = userEvent.setup()
    const { App } = installWails({
      ListQuota: async () => seed(),
      RefreshQuota: async () => Promise.reject(`invalid: ${NO_ENDPOINT}`),
    })
    await renderPage()
    await waitFor(() => expect(card('openai:key')).toBeTruthy())
    await user.click(within(card('openai:key')).getByRole('button', { name: /^Refresh/ }))
    expect(App.RefreshQuota).toHaveBeenCalledWith('openai:key')
    expect((await within(card('openai:key')).findByRole('alert')).textContent).toBe(`Could not refresh: ${NO_ENDPOINT}`)
  })
})
