import { screen, waitFor } from '@testing-library/dom'
import userEvent from '@testing-library/user-event'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { stubBackend } from '../../test/fakes'

let cleanup: (() => void) | undefined

async function render() {
  const tl = await import('@testing-library/svelte')
  const { default: MetricsPanel } = await import('./MetricsPanel.svelte')
  cleanup = tl.cleanup
  return tl.render(MetricsPanel)
}

beforeEach(() => vi.resetModules())
afterEach(() => {
  cleanup?.()
  cleanup = undefined
})

const stored = { logRequestBodies: true, responseCache: false, theme: 'dark', quotaReservePercent: 10 }

describe('Metrics panel', () => {
  it('switches /metrics on, sending the other settings as they are', async () => {
    const user = userEvent.setup()
    const { calls } = stubBackend((c) => {
      if (c.method === 'PUT') return c.body
      if (c.url === '/api/settings') return { ...stored, metrics: false }
      return undefined
    })
    await render()
    const box = (await screen.findByRole('switch', { name: 'Serve Prometheus metrics' })) as HTMLInputElement
    expect(box.checked).toBe(false)
    await user.click(box)
    await waitFor(() => expect(calls.some((c) => c.method === 'PUT')).toBe(true))
    expect(calls.find((c) => c.method === 'PUT')?.body).toEqual({ ...stored, metrics: true })
    await waitFor(() => expect(box.checked).toBe(true))
  })

  it('is read-only when the config file decides', async () => {
    stubBackend((c) => (c.url === '/api/settings' ? { ...stored, metrics: true, metricsFromConfig: true } : undefined))
    await render()
    const box = (await screen.findByRole('switch', { name: 'Serve Prometheus metrics' })) as HTMLInputElement
    expect(box.checked).toBe(true)
    expect(box.disabled).toBe(true)
    expect(screen.getByTestId('metrics-panel').textContent).toMatch(/Set by the config file/)
  })
})
