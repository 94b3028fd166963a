import { screen, waitFor, within } from '@testing-library/dom'
import userEvent from '@testing-library/user-event'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { HealthView, RoutingEvent } from '../lib/api/types'
import { breaker, cooldown, errorResponse, installWails, routingEvent, stubBackend, type RecordedCall } from '../test/fakes'

let cleanup: (() => void) | undefined

async function renderPage() {
  const tl = await import('@testing-library/svelte')
  const { default: Health } = await import('./Health.svelte')
  cleanup = tl.cleanup
  return tl.render(Health)
}

beforeEach(() => {
  vi.resetModules()
})

afterEach(() => {
  cleanup?.()
  cleanup = undefined
})

const inSec = (s: number) => new Date(Date.now() + s * 1000).toISOString()

function seed(): HealthView {
  return {
    breakers: [
      breaker('fake', { state: 'closed', failures: 0, requests: 12 }),
      breaker('openai', { state: 'open', failures: 5, requests: 6, openUntil: inSec(25) }),
    ],
    cooldowns: [
      cooldown('a_ops', { provider: 'fake-config', account: 'ops', model: 'limited', until: inSec(50.5) }),
      cooldown('a_work', {
        provider: 'openai',
        account: 'work',
        model: '*',
        reason: 'quota_exhausted',
        until: inSec(3 * 3600),
        level: 2,
        message: 'You exceeded your current quota',
      }),
    ],
  }
}

const events: RoutingEvent[] = [
  routingEvent('account_cooling_down', { until: Date.now() + 60_000 }),
  routingEvent('provider_tripped', { provider: 'openai', account: '', model: '', until: Date.now() + 25_000 }),
  routingEvent('combo_unavailable', { provider: 'smart', account: '', model: '', message: 'every target is resting' }),
  routingEvent('provider_recovered', { provider: 'groq', account: '', model: '' }),
]

/** An in-memory backend for the Health page over HTTP. */
function backend(initial: HealthView = seed()) {
  let health = structuredClone(initial)
  let failing = false
  const stub = stubBackend((c: RecordedCall) => {
    if (failing) return errorResponse(500, 'internal error')
    if (c.method === 'GET' && c.url === '/api/health') return health
    if (c.method === 'GET' && c.url.startsWith('/api/events/recent')) return events
    if (c.method === 'POST' && c.url.startsWith('/api/health/reset')) {
      const q = new URL(c.url, 'http://x').searchParams
      const provider = q.get('provider') ?? ''
      const account = q.get('account') ?? ''
      const before = health.cooldowns.length
      health = {
        breakers: health.breakers.map((b) => (account === '' && (provider === '' || b.provider === provider) ? { ...b, state: 'closed', openUntil: undefined } : b)),
        cooldowns: health.cooldowns.filter(
          (cd) => !((provider === '' || cd.provider === provider) && (account === '' || cd.accountId === account)),
        ),
      }
      return { cleared: before - health.cooldowns.length }
    }
    return errorResponse(404, 'no route')
  })
  return { ...stub, set: (h: HealthView) => (health = h), fail: (on: boolean) => (failing = on) }
}

const cooldownRow = (account: string) =>
  document.querySelector(`[data-testid="cooldown-row"][data-account="${account}"]`) as HTMLElement | null
const breakerRow = (provider: string) =>
  document.querySelector(`[data-testid="breaker-row"][data-provider="${provider}"]`) as HTMLElement

describe('Health page', () => {
  it('shows breakers (open first, with a countdown), resting accounts with countdowns, and events in words', async () => {
    // load the page first: on a busy machine its import takes seconds, which the countdowns below would count
    await Promise.all([import('./Health.svelte'), import('@testing-library/svelte')])
    const { calls } = backend()
    await renderPage()
    await waitFor(() => expect(cooldownRow('ops')).toBeTruthy())
    expect(calls.map((c) => c.url)).toEqual(expect.arrayContaining(['/api/health', '/api/events/recent?limit=50']))

    const rowsB = screen.getAllByTestId('breaker-row')
    expect(rowsB.map((r) => r.getAttribute('data-provider'))).toEqual(['openai', 'fake'])
    const open = within(breakerRow('openai'))
    expect(open.getByTestId('breaker-state').textContent).toBe('Open')
    expect(breakerRow('openai').textContent).toMatch(/5 \/ 6/)
    expect(breakerRow('openai').textContent).toMatch(/in 2[45]s/)
    expect(within(breakerRow('fake')).getByTestId('breaker-state').textContent).toBe('Closed')
    expect(breakerRow('fake').textContent).toMatch(/0 \/ 12/)
    expect(breakerRow('fake').textContent).toMatch(/—/)

    const ops = cooldownRow('ops')!
    expect(ops.getAttribute('data-model')).toBe('limited')
    expect(ops.textContent).toMatch(/fake-config\/ops/)
    expect(ops.textContent).toMatch(/Rate limited/)
    expect(within(ops).getByTestId('cooldown-left').textContent).toMatch(/^5[01]s$/)
    const work = cooldownRow('work')!
    expect(work.textContent).toMatch(/all models/)
    expect(work.textContent).toMatch(/Out of quota/)
    expect(work.textContent).toMatch(/backoff level 2/)
    expect(work.textContent).toMatch(/You exceeded your current quota/)
    expect(within(work).getByTestId('cooldown-left').textContent).toMatch(/^(3h 00m|2h 59m)$/)
    // soonest-ending first
    expect(screen.getAllByTestId('cooldown-row').map((r) => r.getAttribute('data-account'))).toEqual(['ops', 'work'])

    const texts = screen.getAllByTestId('event-text').map((e) => e.textContent)
    expect(texts[0]).toMatch(/^fake-config\/ops is cooling down for limited until \d\d:\d\d:\d\d$/)
    expect(texts[1]).toMatch(/^Provider openai tripped: requests go elsewhere until \d\d:\d\d:\d\d$/)
    expect(texts[2]).toBe('Combo smart was unavailable: no target could serve')
    expect(texts[3]).toBe('Provider groq recovered')
    expect(screen.getByTestId('events-list').textContent).toMatch(/every target is resting/)
  })

  it('counts down every second', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true })
    backend()
    await renderPage()
    await vi.waitFor(() => expect(cooldownRow('ops')).toBeTruthy())
    const left = () => within(cooldownRow('ops')!).getByTestId('cooldown-left').textContent
    const first = left()
    await vi.advanceTimersByTimeAsync(5000)
    await vi.waitFor(() => expect(left()).not.toBe(first))
    expect(left()).toMatch(/^4[56]s$/)
  })

  it('resets one account, and all cooldowns after confirming', async () => {
    const user = userEvent.setup()
    const { calls } = backend()
    await renderPage()
    await waitFor(() => expect(cooldownRow('ops')).toBeTruthy())

    await user.click(within(cooldownRow('ops')!).getByRole('button', { name: 'Reset fake-config/ops (limited)' }))
    await waitFor(() => expect(cooldownRow('ops')).toBeNull())
    expect(calls.filter((c) => c.method === 'POST').map((c) => c.url)).toEqual([
      '/api/health/reset?provider=fake-config&account=a_ops',
    ])
    expect(cooldownRow('work')).toBeTruthy()

    await user.click(screen.getByRole('button', { name: 'Reset all cooldowns' }))
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(1) // not without confirming
    await user.click(screen.getByRole('button', { name: 'Cancel' }))
    await user.click(screen.getByRole('button', { name: 'Reset all cooldowns' }))
    await user.click(screen.getByRole('button', { name: 'Confirm reset all cooldowns' }))
    await waitFor(() => expect(screen.queryAllByTestId('cooldown-row')).toHaveLength(0))
    expect(calls.filter((c) => c.method === 'POST').map((c) => c.url).at(-1)).toBe('/api/health/reset')
    expect(screen.getByTestId('cooldowns-empty').textContent).toMatch(/No account is resting/)
    expect(within(breakerRow('openai')).getByTestId('breaker-state').textContent).toBe('Closed')
    // nothing left to reset
    expect((screen.getByRole('button', { name: 'Reset all cooldowns' }) as HTMLButtonElement).disabled).toBe(true)
  })

  it('refreshes every 2 s and shows a failed refresh without dropping the tables', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true })
    const be = backend({ breakers: [], cooldowns: [] })
    await renderPage()
    expect((await screen.findByTestId('cooldowns-empty')).textContent).toMatch(/No account is resting/)
    expect(screen.getByTestId('breakers-empty')).toBeTruthy()

    be.set(seed())
    await vi.advanceTimersByTimeAsync(2000)
    await vi.waitFor(() => expect(cooldownRow('ops')).toBeTruthy())
    const healthCalls = be.calls.filter((c) => c.url === '/api/health').length
    expect(healthCalls).toBeGreaterThanOrEqual(2)

    be.fail(true)
    await vi.advanceTimersByTimeAsync(2000)
    expect((await screen.findByRole('alert')).textContent).toMatch(/Could not load the health state: internal error/)
    expect(cooldownRow('ops')).toBeTruthy()
    be.fail(false)
    await vi.advanceTimersByTimeAsync(2000)
    await vi.waitFor(() => expect(screen.queryByRole('alert')).toBeNull())
  })

  it('uses GetHealth, ListEvents(50) and ResetHealth(provider, account) inside the Wails window', async () => {
    const user = userEvent.setup()
    const fetchMock = vi.fn()
    vi.stubGlobal('fetch', fetchMock)
    let health = seed()
    const { App } = installWails({
      GetHealth: async () => health,
      ListEvents: async () => null,
      ResetHealth: async (provider: string, account: string) => {
        const n = health.cooldowns.length
        health = { breakers: health.breakers, cooldowns: health.cooldowns.filter((c) => !(c.provider === provider && c.accountId === account) && provider !== '') }
        return n - health.cooldowns.length
      },
    })
    await renderPage()
    await waitFor(() => expect(cooldownRow('work')).toBeTruthy())
    expect(App.ListEvents).toHaveBeenCalledWith(50)
    expect(screen.getByTestId('events-empty').textContent).toMatch(/No routing events yet/)
    await user.click(screen.getByRole('button', { name: 'Reset openai/work' }))
    expect(App.ResetHealth).toHaveBeenCalledWith('openai', 'a_work')
    await waitFor(() => expect(cooldownRow('work')).toBeNull())
    await user.click(screen.getByRole('button', { name: 'Reset all cooldowns' }))
    await user.click(screen.getByRole('button', { name: 'Confirm reset all cooldowns' }))
    expect(App.ResetHealth).toHaveBeenLastCalledWith('', '')
    await waitFor(() => expect(cooldownRow('ops')).toBeNull())
    expect(fetchMock).not.toHaveBeenCalled()
  })

  it('lists providers without a usable account with a one-click keyless fix, and a link for the others', async () => {
    const user = userEvent.setup()
    let health: HealthView = {
      breakers: [],
      cooldowns: [],
      unusable: [
        { provider: 'lan', name: 'lan', message: 'provider "lan" has no account, so no request can go to it', fix: 'add_keyless' },
        { provider: 'openai', name: 'OpenAI', message: 'provider "openai" has no enabled account (all are disabled)', fix: 'add_account' },
      ],
    }
    const { calls } = stubBackend((c: RecordedCall) => {
      if (c.method === 'GET' && c.url === '/api/health') return health
      if (c.method === 'GET' && c.url.startsWith('/api/events/recent')) return []
      if (c.method === 'POST' && c.url === '/api/providers/lan/accounts') {
        health = { ...health, unusable: health.unusable!.slice(1) }
        return { id: 'a_1', name: 'keyless' }
      }
      return errorResponse(404, 'no route')
    })
    await renderPage()
    const section = await screen.findByTestId('unusable')
    const rows = within(section).getAllByTestId('unusable-row')
    expect(rows.map((r) => r.dataset.provider)).toEqual(['lan', 'openai'])
    expect(rows[0].textContent).toMatch(/has no account/)
    expect(within(rows[1]).queryByRole('button')).toBeNull() // a key is needed: only the link
    expect(within(rows[1]).getByRole('link', { name: 'Open provider' }).getAttribute('href')).toBe('#/providers?provider=openai')

    await user.click(within(rows[0]).getByRole('button', { name: 'Add a keyless account to lan' }))
    await waitFor(() => expect(screen.getAllByTestId('unusable-row').map((r) => r.dataset.provider)).toEqual(['openai']))
    expect(calls.filter((c) => c.method === 'POST').map((c) => [c.url, c.body])).toEqual([
      ['/api/providers/lan/accounts', { name: 'keyless', apiKey: '', priority: 0, maxConcurrent: 0, rpm: 0 }],
    ])
  })
})
