import { screen, waitFor, within } from '@testing-library/dom'
import userEvent from '@testing-library/user-event'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Group, ModelPrice, Report, Sums } from '../lib/api/analytics'
import { errorResponse, stubBackend, type RecordedCall } from '../test/fakes'

// uPlot draws on a canvas jsdom does not have: the charts are checked by
// what they are given.
const charts = vi.hoisted(() => [] as { title: string; labels: string[]; data: number[][] }[])
vi.mock('../lib/components/analytics/uplot', () => ({
  loadUPlot: async () => class {
    width = 0
    constructor(opts: { series: { label?: string }[] }, data: number[][], el: HTMLElement) {
      charts.push({ title: el.closest('figure')?.getAttribute('aria-label') ?? '', labels: opts.series.slice(1).map((s) => s.label ?? ''), data })
    }
    setSize() {}
    destroy() {}
  },
}))

let cleanup: (() => void) | undefined

async function renderPage() {
  const tl = await import('@testing-library/svelte')
  const { default: Analytics } = await import('./Analytics.svelte')
  cleanup = tl.cleanup
  return tl.render(Analytics)
}

beforeEach(() => {
  vi.resetModules()
  charts.length = 0
})
afterEach(() => {
  cleanup?.()
  cleanup = undefined
})

const zero: Sums = {
  requests: 0, errors: 0, fallbacks: 0, tokensIn: 0, tokensOut: 0, tokensCached: 0, tokensCacheWrite: 0,
  tokensReasoning: 0, costUsd: 0, unpriced: 0, valueUsd: 0, valueUnknown: 0,
}
const sums = (s: Partial<Sums>): Sums => ({ ...zero, ...s })
const group = (key: string, s: Partial<Sums>): Group => ({ key, ...sums(s) })
const H = 3_600_000

function report(groupBy = 'provider'): Report {
  return {
    from: 0, to: 3 * H, bucket: 'hour', groupBy: groupBy as Report['groupBy'],
    totals: sums({ requests: 42, errors: 3, fallbacks: 2, tokensIn: 120_000, tokensOut: 8_000, tokensCached: 50_000, tokensReasoning: 1_000, costUsd: 1.2345, unpriced: 1, valueUsd: 4.5 }),
    series: [
      { t: 0, ...sums({ requests: 10, errors: 1, tokensIn: 1000, costUsd: 0.5, valueUsd: 1 }) },
      { t: H, ...sums({ requests: 32, errors: 2, fallbacks: 2, tokensIn: 119_000, costUsd: 0.7345, valueUsd: 3.5 }) },
    ],
    breakdown:
      groupBy === 'tool'
        ? [group('claude-code', { requests: 30, costUsd: 1 }), group('', { requests: 12 })]
        : [group('openai', { requests: 30, costUsd: 1.2345 }), group('claude', { requests: 12, valueUsd: 4.5 }), group('my-llm', { requests: 1, unpriced: 1 })],
    latency: [{ provider: 'openai', model: 'gpt-5', requests: 39, p50: 420, p95: 1800, p99: 2500, ttftCount: 30, ttftP50: 150, ttftP95: 600, ttftP99: 900 }],
    topSpenders: [group('alice', { requests: 20, costUsd: 1 }), group('bob', { requests: 22, valueUsd: 4.5 })],
  }
}

const prices: ModelPrice[] = [
  { provider: 'openai', model: 'gpt-5', billing: 'api', input: 1.25, output: 10, cacheRead: 0.125, cacheWrite: 0, reasoning: 0, known: true, source: 'catalog', asOf: '2026-11-26' },
  { provider: 'codex', model: 'gpt-5.1-codex', billing: 'subscription', input: 1.25, output: 10, cacheRead: 0.125, cacheWrite: 0, reasoning: 0, known: true, source: 'catalog', valuedAs: 'openai/gpt-5' },
  { provider: 'anthropic', model: 'claude-sonnet-4-5', billing: 'api', input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75, reasoning: 0, known: true, source: 'catalog',
    longContext: { above: 200_000, input: 6, output: 22.5, cacheRead: 0.6, cacheWrite: 7.5 } },
  { provider: 'my-llm', model: 'm', billing: 'api', input: 0, output: 0, cacheRead: 0, cacheWrite: 0, reasoning: 0, known: false, source: 'catalog' },
]

function backend(calls: RecordedCall[] = []) {
  return stubBackend((c) => {
    calls.push(c)
    if (c.url.startsWith('/api/analytics?')) return report(new URLSearchParams(c.url.split('?')[1]).get('groupBy') ?? 'provider')
    if (c.url === '/api/prices' && c.method === 'GET') return prices
    if (c.url === '/api/prices' && c.method === 'PUT') return undefined
    return errorResponse(404, 'no route')
  })
}

describe('Analytics page', () => {
  it('shows totals, charts over time, the breakdown, latency and top spenders', async () => {
    const { calls } = backend()
    await renderPage()
    expect((await screen.findByTestId('stat-requests')).textContent).toContain('42')
    expect(screen.getByTestId('stat-requests').textContent).toContain('3 errors · 2 fallbacks')
    expect(screen.getByTestId('stat-cost').textContent).toContain('$1.23+')
    expect(screen.getByTestId('stat-cost').textContent).toContain('1 requests without a known price')
    expect(screen.getByTestId('stat-savings').textContent).toContain('$4.50')
    await waitFor(() => expect(charts).toHaveLength(3))
    const req = charts.find((c) => c.title === 'Requests, errors and fallbacks')!
    expect(req.labels).toEqual(['Requests', 'Errors', 'Fallbacks'])
    // every hour of the range, the one without requests as zeros
    expect(req.data).toEqual([[0, 3600, 7200], [10, 32, 0], [1, 2, 0], [0, 2, 0]])
    expect(charts.find((c) => c.title === 'Cost and savings (USD)')!.data.slice(1)).toEqual([[0.5, 0.7345, 0], [1, 3.5, 0]])
    const rows = within(screen.getByTestId('breakdown')).getAllByRole('row').slice(1)
    expect(rows.map((r) => r.getAttribute('data-key'))).toEqual(['openai', 'claude', 'my-llm'])
    expect(within(rows[2]).getByTestId('group-cost').textContent).toContain('+')
    const lat = within(screen.getByTestId('latency-table')).getAllByRole('row')[1]
    expect(lat.textContent).toContain('openai/gpt-5')
    expect(lat.textContent).toContain('420 ms')
    expect(lat.textContent).toContain('1.80 s')
    expect(within(screen.getByTestId('top-spenders')).getAllByRole('row').slice(1).map((r) => r.getAttribute('data-key'))).toEqual(['alice', 'bob'])
    const q = new URLSearchParams(calls.find((c) => c.url.startsWith('/api/analytics'))!.url.split('?')[1])
    expect(q.get('bucket')).toBe('hour')
    expect(Number(q.get('to')) - Number(q.get('from'))).toBe(24 * H)
    expect(q.get('tz')).toBe(String(-new Date().getTimezoneOffset()))
  })

  it('asks again for another range, another breakdown and a picked filter', async () => {
    const { calls } = backend()
    const user = userEvent.setup()
    await renderPage()
    await screen.findByTestId('stat-requests')
    await user.click(screen.getByRole('button', { name: '7 days' }))
    await user.selectOptions(screen.getByTestId('group-by'), 'tool')
    await waitFor(() => expect(within(screen.getByTestId('breakdown')).getByText('Claude Code')).toBeTruthy())
    expect(within(screen.getByTestId('breakdown')).getByText('Other / unknown')).toBeTruthy()
    await user.click(within(screen.getByTestId('breakdown')).getByRole('button', { name: 'Claude Code' }))
    await waitFor(() => expect(screen.getByRole('list', { name: 'Filters' }).textContent).toContain('Claude Code'))
    const qs = calls.filter((c) => c.url.startsWith('/api/analytics')).map((c) => new URLSearchParams(c.url.split('?')[1]))
    expect(qs[1].get('bucket')).toBe('day')
    expect(Number(qs[1].get('to')) - Number(qs[1].get('from'))).toBe(7 * 24 * H)
    expect(qs[2].get('groupBy')).toBe('tool')
    expect(qs.at(-1)!.get('tool')).toBe('claude-code')
    await user.click(screen.getByRole('button', { name: 'Clear the Coding tool filter' }))
    await waitFor(() => expect(screen.queryByRole('list', { name: 'Filters' })).toBeNull())
  })

  it('shows the server error for a custom range it refuses', async () => {
    stubBackend((c) => {
      if (c.url.startsWith('/api/analytics?')) return errorResponse(400, 'the range has more than 2160 hours', 'invalid')
      return []
    })
    await renderPage()
    expect((await screen.findByRole('alert')).textContent).toContain('the range has more than 2160 hours')
  })

  it('lists prices and saves an override for a model without one', async () => {
    const calls: RecordedCall[] = []
    backend(calls)
    const user = userEvent.setup()
    await renderPage()
    const table = await screen.findByTestId('prices-table')
    await waitFor(() => expect(within(table).getAllByRole('row')).toHaveLength(5))
    const gpt5 = table.querySelector('[data-model="openai/gpt-5"]')!
    expect(gpt5.textContent).toContain('1.25')
    expect(gpt5.textContent).toContain('catalog, 2026-11-26')
    // the long-context tier shows under its model, and only there
    const long = within(table).getAllByTestId('price-long')
    expect(long).toHaveLength(1)
    expect(long[0].closest('tr')!.getAttribute('data-model')).toBe('anthropic/claude-sonnet-4-5')
    expect(long[0].textContent).toBe('over 200k tokens: input 6 · output 22.5 · cache read 0.6 · cache write 7.5')
    expect(table.querySelector('[data-model="codex/gpt-5.1-codex"]')!.textContent).toContain('as openai/gpt-5')
    expect(table.querySelector('[data-model="my-llm/m"]')!.textContent).toContain('unknown: requests are marked unpriced')
    await user.click(screen.getByRole('button', { name: 'Edit the price of my-llm/m' }))
    const form = screen.getByTestId('price-form')
    await user.clear(within(form).getByLabelText('Input'))
    await user.type(within(form).getByLabelText('Input'), '0.5')
    await user.clear(within(form).getByLabelText('Output'))
    await user.type(within(form).getByLabelText('Output'), '1.5')
    await user.click(within(form).getByRole('button', { name: 'Save price' }))
    await waitFor(() => expect(calls.some((c) => c.method === 'PUT')).toBe(true))
    expect(calls.find((c) => c.method === 'PUT')!.body).toEqual({
      provider: 'my-llm', model: 'm', input: 0.5, output: 1.5, cacheRead: 0, cacheWrite: 0, reasoning: 0,
    })
    await user.type(screen.getByTestId('price-search'), 'codex')
    expect(within(table).getAllByRole('row')).toHaveLength(2)
  })
})
