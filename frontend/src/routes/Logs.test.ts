import { fireEvent, screen, waitFor, within } from '@testing-library/dom'
import userEvent from '@testing-library/user-event'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { LogRow } from '../lib/api/types'
import { installWails, logRow, stubBackend } from '../test/fakes'

let cleanup: (() => void) | undefined

async function renderPage() {
  const tl = await import('@testing-library/svelte')
  const { default: Logs } = await import('./Logs.svelte')
  cleanup = tl.cleanup
  return tl.render(Logs)
}

beforeEach(() => {
  vi.resetModules()
})

afterEach(() => {
  cleanup?.()
  cleanup = undefined
})

const failedOver = logRow('req_fail', {
  requestedModel: 'smart',
  provider: 'groq',
  account: 'free',
  upstreamModel: 'llama-3.1-8b',
  status: 200,
  attempts: 2,
  tokensIn: 1200,
  tokensOut: 300,
  tokensCached: 1000,
  tokensReasoning: 50,
  route: JSON.stringify([
    { target: 'openai/work/gpt-4o', result: 'rate_limit', status: 429, error: 'quota exceeded for the minute' },
    { target: 'openai/home/gpt-4o', result: 'skipped: target failed' },
    { target: 'groq/free/llama-3.1-8b', result: 'ok' },
  ]),
  requestBody: '{"model":"smart","messages":[]}',
  responseBody: '{"choices":[]}',
})

const refused = logRow('req_404', {
  requestedModel: 'nope/x',
  provider: '',
  account: '',
  upstreamModel: '',
  status: 404,
  errorKind: 'not_found',
  errorMessage: 'model "nope/x" is not routable',
  latencyMs: 0,
  ttftMs: 0,
  tokensIn: 0,
  tokensOut: 0,
  attempts: 0,
  route: '',
})

function logsBackend(rows: LogRow[] = [failedOver, refused]) {
  return stubBackend((c) => (c.url.startsWith('/api/logs') ? rows : undefined))
}

const row = (id: string) => document.querySelector(`[data-testid="log-row"][data-req-id="${id}"]`) as HTMLElement

describe('Logs page', () => {
  it('shows a dense row per request: model → provider/upstream, coloured status, tokens, attempts', async () => {
    const { calls } = logsBackend()
    await renderPage()
    await waitFor(() => expect(row('req_fail')).toBeTruthy())
    expect(calls[0].url).toBe('/api/logs?limit=200')

    const ok = within(row('req_fail'))
    expect(ok.getByTestId('log-upstream').textContent).toBe('groq/llama-3.1-8b')
    expect(ok.getByTestId('log-status').textContent).toBe('200')
    expect(ok.getByTestId('log-status').getAttribute('data-tone')).toBe('ok')
    expect(row('req_fail').textContent).toMatch(/1[,. \u202f]?200 \/ 300/)
    expect(row('req_fail').textContent).toMatch(/1[,. \u202f]?000 cached, 50 reasoning/)
    expect(row('req_fail').textContent).toMatch(/120 ms/)

    const bad = within(row('req_404'))
    expect(bad.getByTestId('log-status').getAttribute('data-tone')).toBe('warn')
    expect(row('req_404').textContent).toMatch(/not_found/)
    expect(bad.queryByTestId('log-upstream')).toBeNull()
  })

  it('shows what a media request billed: units of its kind and their cost', async () => {
    const media = { tokensIn: 0, tokensOut: 0 }
    const image = logRow('req_img', { ...media, units: 2, unitKind: 'images', unitsCostUsd: 0.08 })
    const audio = logRow('req_stt', { ...media, units: 12.5, unitKind: 'audio_seconds', unitsCostUsd: 0.00125 })
    logsBackend([image, audio, refused])
    await renderPage()
    await waitFor(() => expect(row('req_img')).toBeTruthy())
    expect(within(row('req_img')).getByTestId('log-units').textContent).toBe('2 images · $0.080')
    expect(within(row('req_stt')).getByTestId('log-units').textContent).toBe('12.5s audio · $0.0013')
    expect(within(row('req_404')).queryByTestId('log-units')).toBeNull()
  })

  it('builds the query from the filter bar', async () => {
    const user = userEvent.setup()
    const { calls } = logsBackend()
    await renderPage()
    await waitFor(() => expect(row('req_fail')).toBeTruthy())

    await user.type(screen.getByLabelText('Provider'), 'groq')
    await user.type(screen.getByLabelText('Model'), 'fake/m1')
    await user.type(screen.getByLabelText('Key'), 'ci bot')
    await user.type(screen.getByLabelText('Error kind'), 'rate_limit')
    await user.click(screen.getByRole('button', { name: 'Apply' }))
    await waitFor(() =>
      expect(calls.at(-1)?.url).toBe('/api/logs?provider=groq&model=fake%2Fm1&key=ci+bot&errorKind=rate_limit&limit=200'),
    )

    // the status choice applies at once
    await user.selectOptions(screen.getByLabelText('Status'), 'error')
    await waitFor(() => expect(calls.at(-1)?.url).toMatch(/[?&]status=error(&|$)/))

    await user.click(screen.getByRole('button', { name: 'Clear' }))
    await waitFor(() => expect(calls.at(-1)?.url).toBe('/api/logs?limit=200'))
    expect((screen.getByLabelText('Provider') as HTMLInputElement).value).toBe('')
  })

  it('expands a row into its routing decisions, error and bodies', async () => {
    const user = userEvent.setup()
    logsBackend()
    await renderPage()
    await waitFor(() => expect(row('req_fail')).toBeTruthy())
    expect(screen.queryByTestId('log-details')).toBeNull()

    await user.click(row('req_fail'))
    const details = within(await screen.findByTestId('log-details'))
    const steps = details.getAllByTestId('route-step')
    expect(steps.map((s) => s.querySelector('code')?.textContent)).toEqual(['openai/gpt-4o', 'openai/gpt-4o', 'groq/llama-3.1-8b'])
    expect(steps.map((s) => s.getAttribute('data-result'))).toEqual(['rate_limit', 'skipped: target failed', 'ok'])
    expect(steps[0].textContent).toMatch(/with account work/)
    expect(steps[0].textContent).toMatch(/rate_limit \(HTTP 429\)/)
    expect(steps[0].textContent).toMatch(/quota exceeded for the minute/)
    expect(steps[2].textContent).toMatch(/answered/)
    expect(details.getByTestId('log-request-body').textContent).toBe('{"model":"smart","messages":[]}')
    expect(details.getByTestId('log-response-body').textContent).toBe('{"choices":[]}')

    // the expander button says what it does and toggles too
    const toggle = within(row('req_fail')).getByRole('button', { name: /Hide details of request req_fail/ })
    expect(toggle.getAttribute('aria-expanded')).toBe('true')
    await user.click(toggle)
    await waitFor(() => expect(screen.queryByTestId('log-details')).toBeNull())

    await user.click(row('req_404'))
    const refusedDetails = within(await screen.findByTestId('log-details'))
    expect(refusedDetails.getByTestId('log-error').textContent).toBe('model "nope/x" is not routable')
    expect(refusedDetails.queryByTestId('route-step')).toBeNull()
    expect(refusedDetails.getByText(/No upstream was tried/)).toBeTruthy()
  })

  it('says so when an unreadable route was recorded', async () => {
    const user = userEvent.setup()
    logsBackend([logRow('req_x', { route: '{oops' })])
    await renderPage()
    await waitFor(() => expect(row('req_x')).toBeTruthy())
    await user.click(row('req_x'))
    expect((await screen.findByTestId('log-details')).textContent).toMatch(/could not be read[\s\S]*\{oops/)
  })

  it('refreshes on demand and every 3 s while auto-refresh is on', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true })
    const { calls } = logsBackend()
    await renderPage()
    await vi.waitFor(() => expect(row('req_fail')).toBeTruthy())
    expect(calls).toHaveLength(1)

    fireEvent.click(screen.getByRole('button', { name: 'Refresh' }))
    await vi.waitFor(() => expect(calls).toHaveLength(2))

    const auto = screen.getByLabelText(/Auto-refresh/) as HTMLInputElement
    fireEvent.click(auto)
    expect(auto.checked).toBe(true)
    await vi.advanceTimersByTimeAsync(3000)
    await vi.waitFor(() => expect(calls).toHaveLength(3))
    await vi.advanceTimersByTimeAsync(3000)
    await vi.waitFor(() => expect(calls).toHaveLength(4))

    fireEvent.click(auto)
    await vi.advanceTimersByTimeAsync(9000)
    expect(calls).toHaveLength(4)
  })

  it('explains an empty log, and uses ListLogs(filter) inside the Wails window', async () => {
    const fetchMock = vi.fn()
    vi.stubGlobal('fetch', fetchMock)
    const { App } = installWails({ ListLogs: async () => null })
    await renderPage()
    expect((await screen.findByTestId('logs-empty')).textContent).toMatch(/No requests logged yet/)
    expect(App.ListLogs).toHaveBeenCalledWith({ provider: '', model: '', keyName: '', status: '', errorKind: '', limit: 200 })
    expect(fetchMock).not.toHaveBeenCalled()
  })
})
