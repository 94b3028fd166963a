import { screen, waitFor, within } from '@testing-library/dom'
import userEvent from '@testing-library/user-event'
import { cleanup, render } from '@testing-library/svelte'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { SetupReport, SetupTest } from '../../api/onboarding'
import {
  catalogEntry,
  comboView,
  comboTarget,
  errorResponse,
  logRow,
  providerView,
  account,
  sampleStatus,
  stubBackend,
  toolPlan,
  toolResult,
  toolStatus,
} from '../../../test/fakes'
import ComboStep from './ComboStep.svelte'
import KeysStep from './KeysStep.svelte'
import SetupChecklist from './SetupChecklist.svelte'
import TestStep from './TestStep.svelte'
import ToolsStep from './ToolsStep.svelte'

afterEach(() => {
  cleanup()
  vi.unstubAllGlobals()
})

function sampleReport(extra: Partial<SetupReport> = {}): SetupReport {
  return {
    tools: [{ id: 'claude-code', name: 'Claude Code', binaryPath: '/h/bin/claude', state: 'untouched', managed: false }],
    signIns: [{ provider: 'claude', name: 'Claude', source: '/h/.claude/.credentials.json' }],
    keys: [
      { var: 'OPENAI_API_KEY', provider: 'openai', hint: 'sk-…1234' },
      { var: 'GROQ_API_KEY', provider: 'groq', hint: 'gsk_…9999', added: true },
    ],
    local: [
      { id: 'ollama', name: 'Ollama', url: 'http://127.0.0.1:11434', reachable: true, models: ['llama3.2:latest'] },
      { id: 'lmstudio', name: 'LM Studio', url: 'http://127.0.0.1:1234', reachable: false, models: [], error: 'not reachable' },
    ],
    peers: [],
    ...extra,
  }
}

describe('KeysStep', () => {
  it('says what it writes, adds an env key by its variable name (never a value) and re-reads', async () => {
    const user = userEvent.setup()
    const { calls } = stubBackend((c) => {
      if (c.url === '/api/catalog') return [catalogEntry('openai', 'api-key', { name: 'OpenAI' }), catalogEntry('groq', 'cheap', { name: 'Groq' })]
      if (c.url === '/api/signin') return []
      if (c.url === '/api/onboarding/env-keys/OPENAI_API_KEY') return account('a_1', 'OPENAI_API_KEY')
      return errorResponse(404, 'no route')
    })
    const onchange = vi.fn(async () => {})
    render(KeysStep, { report: sampleReport(), onchange })
    const writes = await screen.findByTestId('will-write')
    await waitFor(() => expect(writes.textContent).toContain('one OpenAI account named OPENAI_API_KEY'))
    expect(writes.textContent).toContain('provider Ollama at http://127.0.0.1:11434 with a keyless account (its model listed)')
    expect(writes.textContent).not.toContain('GROQ') // already added
    expect(screen.getAllByTestId('env-key-added')).toHaveLength(1)
    // LM Studio is not running: nothing to add
    expect(within(screen.getAllByTestId('local-row')[1]).queryByRole('button')).toBeNull()

    await user.click(screen.getByTestId('add-env-key'))
    await waitFor(() => expect(onchange).toHaveBeenCalledTimes(1))
    const post = calls.find((c) => c.method === 'POST')
    expect(post?.url).toBe('/api/onboarding/env-keys/OPENAI_API_KEY')
    expect(post?.body).toBeUndefined()
  })

  it('shows the server’s refusal at the row', async () => {
    const user = userEvent.setup()
    stubBackend((c) => {
      if (c.url === '/api/catalog' || c.url === '/api/signin') return []
      if (c.url === '/api/onboarding/local/ollama') return errorResponse(400, 'Ollama is not reachable at http://127.0.0.1:11434')
      return errorResponse(404, 'no route')
    })
    render(KeysStep, { report: sampleReport(), onchange: async () => {} })
    await user.click(await screen.findByTestId('add-local'))
    expect((await screen.findByRole('alert')).textContent).toContain('not reachable')
  })
})

describe('ComboStep', () => {
  it('shows the suggestion in routing order with each tier, and creates it as suggested', async () => {
    const user = userEvent.setup()
    const suggestion = {
      name: 'coding',
      strategy: 'priority',
      sticky: 0,
      budgetMs: 0,
      targets: [{ model: 'cc/claude-sonnet-4-5' }, { model: 'openai/gpt-5' }, { model: 'ollama/llama3.2:latest' }],
    }
    const { calls } = stubBackend((c) => {
      if (c.url === '/api/combos/suggested') return suggestion
      if (c.url === '/api/combos' && c.method === 'GET') return []
      if (c.url === '/api/combos' && c.method === 'POST') return undefined
      if (c.url === '/api/providers')
        return [
          providerView('claude', [account('a1', 'max')], { name: 'Claude', prefix: 'cc', tier: 'subscription' }),
          providerView('openai', [account('a2', 'k')], { name: 'OpenAI', tier: 'api-key' }),
          providerView('ollama', [account('a3', 'local')], { name: 'Ollama', tier: 'local' }),
        ]
      return errorResponse(404, 'no route')
    })
    const onpicked = vi.fn()
    render(ComboStep, { combo: '', onpicked })
    const targets = await screen.findAllByTestId('combo-target')
    expect(targets.map((t) => t.textContent?.replace(/\s+/g, ' ').trim())).toEqual([
      'cc/claude-sonnet-4-5 Claude · subscription',
      'openai/gpt-5 OpenAI · API key',
      'ollama/llama3.2:latest Ollama · local',
    ])
    expect(screen.getByTestId('will-write').textContent).toContain('one combo named coding with 3 targets')
    await user.click(screen.getByTestId('create-combo'))
    await waitFor(() => expect(onpicked).toHaveBeenCalledWith('coding'))
    const saved = calls.find((c) => c.method === 'POST' && c.url === '/api/combos')
    expect((saved?.body as { targets: { model: string }[] }).targets.map((t) => t.model)).toEqual(suggestion.targets.map((t) => t.model))
  })

  it('offers existing combos and says when nothing is connected', async () => {
    const user = userEvent.setup()
    stubBackend((c) => {
      if (c.url === '/api/combos/suggested') return { name: 'coding', strategy: 'priority', targets: [] }
      if (c.url === '/api/combos') return [comboView('mine', [comboTarget('a/b')])]
      if (c.url === '/api/providers') return []
      return errorResponse(404, 'no route')
    })
    const onpicked = vi.fn()
    render(ComboStep, { combo: '', onpicked })
    await screen.findByTestId('combo-empty')
    expect(screen.queryByTestId('create-combo')).toBeNull()
    await user.click(screen.getByTestId('use-combo'))
    expect(onpicked).toHaveBeenCalledWith('mine')
  })
})

describe('ToolsStep', () => {
  it('previews the diff and what it writes, then applies with the combo', async () => {
    const user = userEvent.setup()
    const { calls } = stubBackend((c) => {
      if (c.url === '/api/tools/claude-code/plan') return toolPlan('claude-code', [{ path: '/h/.claude/settings.json', created: true }])
      if (c.url === '/api/tools/claude-code/apply')
        return toolResult('claude-code', [{ path: '/h/.claude/settings.json', action: 'created' }], { keyCreated: true })
      return errorResponse(404, 'no route')
    })
    const onchange = vi.fn(async () => {})
    render(ToolsStep, { report: sampleReport(), combo: 'coding', onchange })
    expect(screen.queryByTestId('will-write')).toBeNull() // nothing planned, nothing said
    await user.click(screen.getByTestId('preview-tool'))
    expect((await screen.findByTestId('tool-diff')).textContent).toContain('ANTHROPIC_BASE_URL')
    const writes = screen.getByTestId('will-write').textContent ?? ''
    expect(writes).toContain('/h/.claude/settings.json (created)')
    expect(writes).toContain('a local API key named claude-code')
    expect(calls.filter((c) => c.url.endsWith('/apply'))).toHaveLength(0)

    await user.click(screen.getByTestId('apply-tool'))
    expect((await screen.findByTestId('tool-applied')).textContent).toContain('/h/.claude/settings.json created')
    expect(calls.find((c) => c.url.endsWith('/apply'))?.body).toEqual({ model: 'coding' })
    expect(onchange).toHaveBeenCalled()
  })

  it('asks for a combo first', () => {
    render(ToolsStep, { report: sampleReport(), combo: '', onchange: async () => {} })
    expect(screen.getByTestId('tools-no-combo')).toBeTruthy()
    expect(screen.queryByTestId('preview-tool')).toBeNull()
  })
})

describe('TestStep', () => {
  const answer: SetupTest = {
    ok: true, status: 200, model: 'coding', route: 'claude/claude-sonnet-4-5', answer: 'I hear you.', latencyMs: 420,
    inputTokens: 12, outputTokens: 5, keyName: 'setup-test', prompt: 'Reply…',
  }

  it('sends the combo through the gateway, shows who answered and where usage appears, then lets it finish', async () => {
    const user = userEvent.setup()
    const { calls } = stubBackend((c) => (c.url === '/api/onboarding/test' ? answer : errorResponse(404, 'no route')))
    const onfinish = vi.fn()
    render(TestStep, { combo: 'coding', onfinish })
    expect((screen.getByTestId('test-model') as HTMLInputElement).value).toBe('coding')
    expect((screen.getByTestId('finish-setup') as HTMLButtonElement).disabled).toBe(true)
    await user.click(screen.getByTestId('send-test'))
    expect((await screen.findByTestId('test-answer-text')).textContent).toBe('I hear you.')
    expect(screen.getByTestId('test-route').textContent).toContain('claude/claude-sonnet-4-5')
    expect(screen.getByTestId('link-logs').getAttribute('href')).toBe('#/logs')
    expect(screen.getByTestId('link-analytics').getAttribute('href')).toBe('#/analytics')
    expect(calls[0].body).toEqual({ model: 'coding' })
    await user.click(screen.getByTestId('finish-setup'))
    expect(onfinish).toHaveBeenCalled()
  })

  it('shows a failed answer with the gateway’s message and keeps Finish off', async () => {
    const user = userEvent.setup()
    stubBackend(() => ({ ...answer, ok: false, status: 503, answer: undefined, error: 'no usable account for openai' }))
    render(TestStep, { combo: 'coding', onfinish: () => {} })
    await user.click(screen.getByTestId('send-test'))
    expect((await screen.findByTestId('test-failed')).textContent).toContain('503: no usable account for openai')
    expect((screen.getByTestId('finish-setup') as HTMLButtonElement).disabled).toBe(true)
  })
})

describe('SetupChecklist', () => {
  it('reads each item from what is configured, and Skip stores it', async () => {
    const user = userEvent.setup()
    const { calls } = stubBackend((c) => {
      if (c.url === '/api/providers') return [providerView('openai', [account('a1', 'k')])]
      if (c.url === '/api/combos') return []
      if (c.url === '/api/tools') return { tools: [toolStatus('claude-code', { state: 'ours' })], manual: [], snippet: '' }
      if (c.url.startsWith('/api/logs')) return [logRow('r1')]
      if (c.url === '/api/onboarding' && c.method === 'PUT') return { ...(c.body as object), updatedAt: 1 }
      return errorResponse(404, 'no route')
    })
    const onchange = vi.fn()
    render(SetupChecklist, { setup: { status: '', step: 'keys' }, onchange })
    await waitFor(() => expect(screen.getAllByTestId('checklist-item')).toHaveLength(4))
    expect(screen.getAllByTestId('checklist-item').map((i) => i.dataset.done)).toEqual(['true', 'false', 'true', 'true'])
    expect(screen.getByText('1 of 4 left')).toBeTruthy()
    expect(screen.getByTestId('open-setup').textContent).toContain('Continue setup')
    await user.click(screen.getByTestId('skip-checklist'))
    await waitFor(() => expect(onchange).toHaveBeenCalledWith(expect.objectContaining({ status: 'skipped' })))
    expect(calls.find((c) => c.method === 'PUT')?.body).toEqual({ status: 'skipped', step: 'keys' })
  })
})

describe('Overview and the setup', () => {
  // the page is imported afresh each time (its stores are module state), so
  // it is rendered and cleaned up by that import's testing library
  let done: (() => void) | undefined
  beforeEach(() => vi.resetModules())
  afterEach(() => {
    done?.()
    done = undefined
  })

  async function renderOverview() {
    const tl = await import('@testing-library/svelte')
    done = tl.cleanup
    const { default: Overview } = await import('../../../routes/Overview.svelte')
    return tl.render(Overview)
  }

  function backend(state: object, providers: unknown[]) {
    return stubBackend((c) => {
      if (c.url === '/api/status') return sampleStatus
      if (c.url === '/api/onboarding') return state
      if (c.url === '/api/providers') return providers
      if (c.url === '/api/combos' || c.url === '/api/keys' || c.url.startsWith('/api/logs')) return []
      if (c.url === '/api/tools') return { tools: [], manual: [], snippet: '' }
      if (c.url === '/api/usage/today') return { requests: 3, tokensIn: 1, tokensOut: 1, costUsd: 0, valueUsd: 0 }
      return errorResponse(404, 'no route')
    })
  }

  it('opens the setup on a first run with nothing usable', async () => {
    window.location.hash = '#/'
    backend({ status: '' }, [])
    await renderOverview()
    await waitFor(() => expect(window.location.hash).toBe('#/setup'))
  })

  it('shows the checklist instead of today’s usage until the setup is complete', async () => {
    window.location.hash = '#/'
    backend({ status: '', step: 'combo' }, [providerView('openai', [account('a1', 'k')])])
    await renderOverview()
    await screen.findByTestId('setup-checklist')
    expect(screen.queryByTestId('today-card')).toBeNull()
    expect(window.location.hash).toBe('#/')
  })

  it('shows today’s usage once complete', async () => {
    backend({ status: 'complete' }, [])
    await renderOverview()
    await screen.findByTestId('today-card')
    expect(screen.queryByTestId('setup-checklist')).toBeNull()
  })
})
