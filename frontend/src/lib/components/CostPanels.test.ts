import { screen, waitFor, within } from '@testing-library/dom'
import userEvent from '@testing-library/user-event'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { errorResponse, stubBackend, type RecordedCall } from '../../test/fakes'

let cleanup: (() => void) | undefined
async function render(name: 'RequestLogPanel' | 'TodayCard') {
  const tl = await import('@testing-library/svelte')
  const mod = name === 'RequestLogPanel' ? await import('./RequestLogPanel.svelte') : await import('./TodayCard.svelte')
  cleanup = tl.cleanup
  return tl.render(mod.default)
}
beforeEach(() => vi.resetModules())
afterEach(() => {
  cleanup?.()
  cleanup = undefined
})

const storage = (over: object = {}) => ({
  retention: { days: 30, maxDbMib: 1024 },
  fromConfig: false,
  size: { fileBytes: 12 * 1024 * 1024, usedBytes: 10 * 1024 * 1024, rows: 1234, oldestTs: Date.parse('2026-03-01T10:00:00'), hourRows: 50, oldestHour: Date.parse('2026-02-01T00:00:00') },
  lastPass: { at: 0, rolledUp: 0, deletedOld: 0, deletedCap: 0, usedBytes: 0, overCap: false },
  ...over,
})

describe('Settings → Request log', () => {
  it('shows the database size and saves the retention', async () => {
    const calls: RecordedCall[] = []
    stubBackend((c) => {
      calls.push(c)
      if (c.method === 'GET' && c.url === '/api/storage') return storage()
      if (c.method === 'PUT' && c.url === '/api/storage/retention') return storage({ retention: c.body })
      return errorResponse(404, 'no route')
    })
    const user = userEvent.setup()
    await render('RequestLogPanel')
    expect((await screen.findByTestId('db-file-size')).textContent).toBe('12.0 MiB')
    expect(screen.getByTestId('db-rows').textContent).toContain('1,234')
    const days = screen.getByTestId('retention-days') as HTMLInputElement
    expect(days.value).toBe('30')
    await user.clear(days)
    await user.type(days, '7')
    await user.clear(screen.getByTestId('retention-mib'))
    await user.type(screen.getByTestId('retention-mib'), '256')
    await user.click(screen.getByRole('button', { name: 'Save' }))
    await waitFor(() => expect(calls.some((c) => c.method === 'PUT')).toBe(true))
    expect(calls.find((c) => c.method === 'PUT')!.body).toEqual({ days: 7, maxDbMib: 256 })
    expect(await screen.findByRole('status')).toBeTruthy()
  })

  it('shows a config file retention without a form, and a refusal', async () => {
    stubBackend((c) => (c.url === '/api/storage' ? storage({ fromConfig: true, retention: { days: 14, maxDbMib: 64 } }) : errorResponse(404, 'x')))
    await render('RequestLogPanel')
    expect((await screen.findByTestId('retention-config')).textContent).toContain('14 days, 64 MiB')
    expect(screen.queryByTestId('retention-days')).toBeNull()
  })

  it('says what the server refused', async () => {
    stubBackend((c) =>
      c.method === 'GET' ? storage() : errorResponse(400, 'invalid: database size cap 1 MiB is below 16 MiB', 'invalid'),
    )
    const user = userEvent.setup()
    await render('RequestLogPanel')
    await user.click(await screen.findByRole('button', { name: 'Save' }))
    expect((await screen.findByRole('alert')).textContent).toBe('database size cap 1 MiB is below 16 MiB')
  })
})

describe('Overview → Today', () => {
  it("shows today's requests, cost (a + when some are unpriced) and plan savings", async () => {
    stubBackend((c) =>
      c.url === '/api/usage/today'
        ? { since: 0, requests: 12, errors: 1, tokensIn: 10_000, tokensOut: 2_000, costUsd: 0.4321, unpriced: 2, valueUsd: 3.5, valueUnknown: 0 }
        : errorResponse(404, 'x'),
    )
    await render('TodayCard')
    const card = await screen.findByTestId('today-card')
    await waitFor(() => expect(within(card).getByTestId('today-requests').textContent).toBe('12'))
    expect(within(card).getByTestId('today-cost').textContent?.trim()).toBe('$0.432+')
    expect(within(card).getByTestId('today-saved').textContent?.trim()).toBe('$3.50')
  })
})
