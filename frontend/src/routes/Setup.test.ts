import { screen, waitFor } from '@testing-library/dom'
import userEvent from '@testing-library/user-event'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { SetupReport } from '../lib/api/onboarding'
import { errorResponse, installWails, stubBackend } from '../test/fakes'

let cleanup: (() => void) | undefined

async function renderPage() {
  const tl = await import('@testing-library/svelte')
  const { default: Setup } = await import('./Setup.svelte')
  cleanup = tl.cleanup
  return tl.render(Setup)
}

beforeEach(() => {
  vi.resetModules()
  window.location.hash = '#/setup'
})

afterEach(() => {
  cleanup?.()
  cleanup = undefined
  vi.unstubAllGlobals()
  delete (window as { go?: unknown }).go
  delete (window as { runtime?: unknown }).runtime
})

const report: SetupReport = {
  tools: [{ id: 'codex', name: 'Codex', binaryPath: '/h/bin/codex', state: 'untouched', managed: false }],
  signIns: [],
  keys: [{ var: 'ANTHROPIC_API_KEY', provider: 'anthropic', hint: 'sk-…wxyz' }],
  local: [{ id: 'ollama', name: 'Ollama', url: 'http://127.0.0.1:11434', reachable: false, models: [] }],
  peers: [{ id: 'omniroute', name: 'OmniRoute', defaultPath: '/h/.omniroute', found: true, reads: 'storage.sqlite' }],
}

describe('Setup page', () => {
  it('shows what was found, keeps the step and combo as it goes, and Skip leaves for the Overview', async () => {
    const user = userEvent.setup()
    const { calls } = stubBackend((c) => {
      if (c.url === '/api/onboarding' && c.method === 'GET') return { status: '', step: 'detect', combo: 'mine' }
      if (c.url === '/api/onboarding' && c.method === 'PUT') return c.body
      if (c.url === '/api/onboarding/detect') return report
      if (c.url === '/api/signin') return []
      return errorResponse(404, 'no route')
    })
    await renderPage()
    expect((await screen.findByTestId('detect-summary')).textContent).toContain('sk-…wxyz')
    expect(screen.getByTestId('found-peer').textContent).toContain('OmniRoute')
    expect(screen.getByTestId('step-detect').getAttribute('aria-current')).toBe('step')

    await user.click(screen.getByTestId('setup-next'))
    expect(screen.getByTestId('setup-step').dataset.step).toBe('subscriptions')
    expect(screen.getByTestId('no-signins')).toBeTruthy()
    await waitFor(() => expect(calls.filter((c) => c.method === 'PUT').at(-1)?.body).toEqual({ status: '', step: 'subscriptions', combo: 'mine' }))

    await user.click(screen.getByTestId('step-test'))
    expect((screen.getByTestId('test-model') as HTMLInputElement).value).toBe('mine')

    await user.click(screen.getByTestId('skip-setup'))
    await waitFor(() => expect(window.location.hash).toBe('#/'))
    expect(calls.filter((c) => c.method === 'PUT').at(-1)?.body).toEqual({ status: 'skipped', step: 'test', combo: 'mine' })
  })

  it('uses the window bindings in the desktop app', async () => {
    const calls: string[] = []
    installWails({
      GetOnboarding: async () => (calls.push('GetOnboarding'), { status: 'complete', combo: 'coding' }),
      DetectSetup: async () => (calls.push('DetectSetup'), report),
    })
    await renderPage()
    await screen.findByTestId('detect-summary')
    expect(calls).toEqual(['GetOnboarding', 'DetectSetup'])
    expect(screen.queryByTestId('skip-setup')).toBeNull() // complete: nothing to skip
    expect(screen.getByText(/Setup is complete/)).toBeTruthy()
  })
})
