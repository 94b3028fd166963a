import { screen, waitFor, within } from '@testing-library/dom'
import userEvent from '@testing-library/user-event'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { QuotaOverview } from '../lib/api/types'
import { errorResponse, key, quotaAccount, quotaOverview, quotaWindow, sampleStatus, stubBackend } from '../test/fakes'

let cleanup: (() => void) | undefined

async function renderPage() {
  const tl = await import('@testing-library/svelte')
  const { default: Overview } = await import('./Overview.svelte')
  cleanup = tl.cleanup
  return tl.render(Overview)
}

beforeEach(() => {
  vi.resetModules()
})

afterEach(() => {
  cleanup?.()
  cleanup = undefined
})

const inMin = (m: number) => new Date(Date.now() + m * 60_000).toISOString()

/** five accounts: the card shows the three with the least headroom */
function seed(): QuotaOverview {
  const acc = (id: string, name: string, percent: number, resetMin: number, extra = {}) =>
    quotaAccount(id, [quotaWindow('5h', { percent, resetAt: inMin(resetMin) })], { providerName: name, ...extra })
  return quotaOverview([
    acc('claude:max', 'Claude', 72, 72),
    acc('openai:key', 'OpenAI', 20, 1),
    acc('codex:plus', 'ChatGPT', 100, 90, { state: 'exhausted', tightest: quotaWindow('5h', { percent: 100, exhausted: true, resetAt: inMin(90) }) }),
    acc('groq:free', 'Groq', 91, 5, { state: 'reserve' }),
    quotaAccount('gemini:free', [], { providerName: 'Gemini' }),
  ])
}

function backend(quota: () => QuotaOverview | Response = seed) {
  return stubBackend((c) => {
    if (c.url === '/api/status') return sampleStatus
    if (c.url === '/api/keys') return [key('k_1', 'laptop')]
    if (c.url === '/api/quota') return quota()
    return errorResponse(404, 'no route')
  })
}

const rows = () => screen.queryAllByTestId('limits-card-row')

describe('Overview: Limits card', () => {
  it('shows the three accounts with the least headroom, each with its tightest window, linking to the Limits page', async () => {
    const user = userEvent.setup()
    backend()
    await renderPage()
    await waitFor(() => expect(rows()).toHaveLength(3))
    expect(rows().map((r) => r.dataset.accountId)).toEqual(['codex:plus', 'groq:free', 'claude:max'])

    const [codex, groq, max] = rows()
    expect(within(codex).getByTestId('limits-card-percent').textContent).toBe('100%')
    expect(within(codex).getByRole('meter').dataset.tone).toBe('out')
    expect(codex.textContent).toMatch(/Exhausted/)
    expect(within(groq).getByTestId('limits-card-percent').textContent).toBe('91%')
    expect(within(groq).getByRole('meter').dataset.tone).toBe('high')
    expect(groq.textContent).toMatch(/Reserve/)
    expect(within(max).getByRole('link').textContent).toBe('Claude · max')
    expect(within(max).getByRole('meter', { name: 'Claude · max: 5-hour used' }).getAttribute('aria-valuenow')).toBe('72')
    expect((within(max).getByRole('meter').querySelector('.fill') as HTMLElement).style.width).toBe('72%')
    expect(within(max).getByTestId('limits-card-reset').textContent).toMatch(/^resets in 1h 1[12]m$/)
    expect(max.textContent).not.toMatch(/OK|Reserve|Exhausted/) // a badge only when it says something

    const all = screen.getByTestId('limits-card-link')
    expect(all.getAttribute('href')).toBe('#/limits')
    await user.click(within(max).getByRole('link'))
    expect(window.location.hash).toBe('#/limits')
  })

  it('follows pushed quota changes', async () => {
    let o = seed()
    backend(() => o)
    await renderPage()
    const { statusStore } = await import('../lib/stores/status.svelte')
    await waitFor(() => expect(rows()).toHaveLength(3))
    statusStore.set({ ...sampleStatus, quotaRev: 1 })
    o = quotaOverview([quotaAccount('openai:key', [quotaWindow('requests', { percent: 99.9, exhausted: true })], { state: 'exhausted' })])
    statusStore.set({ ...sampleStatus, quotaRev: 2 })
    await waitFor(() => expect(rows().map((r) => r.dataset.accountId)).toEqual(['openai:key']))
  })

  it('says when nothing is known yet', async () => {
    backend(() => quotaOverview([quotaAccount('gemini:free', [])]))
    await renderPage()
    expect((await screen.findByTestId('limits-card-empty')).textContent).toMatch(/No limit figures yet/)
  })

  it('says when the limits cannot be read', async () => {
    backend(() => errorResponse(500, 'internal error'))
    await renderPage()
    await waitFor(() => expect(screen.getByTestId('limits-card-empty').textContent).toBe('Limits unavailable: internal error'))
  })
})

describe('Overview: an idle page does not tick', () => {
  afterEach(() => vi.useRealTimers())

  it('arms the countdown clock only while a countdown is on screen', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true })
    let o: QuotaOverview = quotaOverview([])
    backend(() => o)
    await renderPage()
    await waitFor(() => expect(screen.getByTestId('limits-card-empty')).toBeTruthy())
    const idle = vi.getTimerCount() // the limits poll only: no clock
    o = seed()
    const { limitsStore } = await import('../lib/stores/limits.svelte')
    await limitsStore.load()
    await waitFor(() => expect(rows()).toHaveLength(3))
    expect(vi.getTimerCount()).toBe(idle + 1) // the countdowns' clock
    const reset = () => within(rows()[2]).getByTestId('limits-card-reset').textContent
    const before = reset()
    vi.advanceTimersByTime(61_000)
    await waitFor(() => expect(reset()).not.toBe(before))
    o = quotaOverview([])
    await limitsStore.load()
    await waitFor(() => expect(screen.getByTestId('limits-card-empty')).toBeTruthy())
    expect(vi.getTimerCount()).toBe(idle)
  })
})

describe('Overview: in another language', () => {
  afterEach(async () => (await import('../lib/i18n')).applyLanguage('en'))

  it('says the endpoint, the dialect hints and where the data lives in Finnish, with the path still code', async () => {
    backend()
    const { applyLanguage } = await import('../lib/i18n')
    applyLanguage('fi')
    await renderPage()
    const { statusStore } = await import('../lib/stores/status.svelte')
    statusStore.set(sampleStatus)
    expect(await screen.findByRole('heading', { name: 'Yhdyskäytävän osoite' })).toBeTruthy()
    expect(screen.getByTestId('base-url-openai').textContent).toContain('OpenAI-SDK:t ja yhteensopivat työkalut (base_url)')
    expect(screen.getByTestId('status-mode').textContent).toBe('Headless')
    const meta = document.querySelector('.meta') as HTMLElement
    expect(meta.textContent?.replace(/\s+/g, ' ').trim()).toBe('Datakansio /tmp/sb · salaisuudet: avaintiedosto')
    expect(meta.querySelector('code')?.textContent).toBe('/tmp/sb')
  })
})
