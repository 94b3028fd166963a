// The CLI tool operations over both transports.

import { describe, expect, it, vi } from 'vitest'
import { api, toolChoice } from './client'
import { ApiError } from './transport'
import type { ToolsOverview } from './types'
import { CLAUDE_DIFF, errorResponse, installWails, stubBackend, toolPlan, toolResult, toolStatus } from '../../test/fakes'

const overview: ToolsOverview = {
  tools: [
    toolStatus('claude-code', { name: 'Claude Code', slots: ['opus', 'sonnet', 'haiku'], state: 'ours', model: 'fakecfg/m1', managed: true }),
    toolStatus('codex', { state: 'malformed', detail: '/home/u/.codex/config.toml: line 2, column 8: bad' }),
  ],
  manual: [{ id: 'cursor', instructions: 'Cursor → Settings → Models' }],
  snippet: 'export OPENAI_BASE_URL="http://127.0.0.1:20128/v1"\n',
}

const choice = { model: 'fakecfg/m1', slots: { haiku: 'cfg-combo' } }

describe('toolChoice', () => {
  it('trims the model and keeps only the slots that name a model', () => {
    expect(toolChoice(' fakecfg/m1 ', { opus: '', sonnet: '  ', haiku: ' cfg-combo ' })).toEqual(choice)
    expect(toolChoice('x', { opus: '' })).toEqual({ model: 'x' })
    expect(toolChoice('')).toEqual({ model: '' })
    expect('slots' in toolChoice('x', {})).toBe(false)
  })
})

describe('CLI tool operations over HTTP', () => {
  it('map to the contract routes, verbs and bodies', async () => {
    const { calls } = stubBackend((c) => {
      if (c.method === 'GET' && c.url === '/api/tools') return overview
      if (c.url.endsWith('/plan')) return toolPlan('claude-code', [{}])
      if (c.url.endsWith('/apply'))
        return toolResult('claude-code', [{ path: '/home/u/.claude/settings.json', action: 'updated', backup: '/d/b/1' }], { keyCreated: true })
      if (c.url.endsWith('/undo'))
        return toolResult('claude-code', [{ path: '/home/u/.claude/settings.json', action: 'restored' }], { keyRevoked: true })
      return errorResponse(404, `no route ${c.method} ${c.url}`)
    })

    const got = await api.getTools()
    expect(got.tools.map((t) => [t.id, t.state, t.managed])).toEqual([
      ['claude-code', 'ours', true],
      ['codex', 'malformed', false],
    ])
    expect(got.manual).toEqual(overview.manual)
    expect(got.snippet).toBe(overview.snippet)

    const plan = await api.planTool('claude-code', choice)
    expect(plan.files[0].diff).toBe(CLAUDE_DIFF)
    expect(plan.newKey).toBe(true)
    const applied = await api.applyTool('claude-code', choice)
    expect(applied.files[0]).toEqual({ path: '/home/u/.claude/settings.json', action: 'updated', backup: '/d/b/1' })
    expect(applied.keyCreated).toBe(true)
    await api.applyTool('claude-code', { model: 'x' })
    const undone = await api.undoTool('claude-code')
    expect(undone.keyRevoked).toBe(true)
    await api.planTool('a tool/x', { model: 'm' })

    expect(calls.map((c) => [c.method, c.url, c.body])).toEqual([
      ['GET', '/api/tools', undefined],
      ['POST', '/api/tools/claude-code/plan', { model: 'fakecfg/m1', slots: { haiku: 'cfg-combo' } }],
      ['POST', '/api/tools/claude-code/apply', { model: 'fakecfg/m1', slots: { haiku: 'cfg-combo' } }],
      ['POST', '/api/tools/claude-code/apply', { model: 'x' }],
      ['POST', '/api/tools/claude-code/undo', undefined],
      ['POST', '/api/tools/a%20tool%2Fx/plan', { model: 'm' }],
    ])
  })

  it('turns Go nil slices into empty lists', async () => {
    stubBackend((c) => {
      if (c.url === '/api/tools') return { tools: [{ ...toolStatus('x'), configPaths: null, slots: null }], manual: null, snippet: '' }
      if (c.url.endsWith('/plan')) return { ...toolPlan('x', []), files: null }
      return { tool: 'x', files: null, changed: false, warnings: null }
    })
    const o = await api.getTools()
    expect(o.tools[0].configPaths).toEqual([])
    expect(o.tools[0].slots).toEqual([])
    expect(o.manual).toEqual([])
    expect((await api.planTool('x', { model: 'm' })).files).toEqual([])
    const r = await api.undoTool('x')
    expect(r.files).toEqual([])
    expect(r.warnings).toEqual([])
  })

  it('a null overview is empty', async () => {
    stubBackend(() => null)
    expect(await api.getTools()).toEqual({ tools: [], manual: [], snippet: '' })
  })

  it('surfaces a 400 as the user-facing message', async () => {
    stubBackend(() =>
      errorResponse(400, 'clitools: /home/u/.codex/config.toml: line 2, column 8: unexpected newline (the file was left untouched)', 'invalid'),
    )
    const err = await api.planTool('codex', { model: 'm' }).catch((e) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err.status).toBe(400)
    expect(err.code).toBe('invalid')
    expect(err.message).toMatch(/config\.toml: line 2, column 8/)
  })
})

describe('CLI tool operations over Wails bindings', () => {
  it('call the bound methods with (id, choice) / (id) and never fetch', async () => {
    const fetchMock = vi.fn()
    vi.stubGlobal('fetch', fetchMock)
    const { App } = installWails({
      GetTools: async () => overview,
      PlanTool: async () => toolPlan('claude-code', [{ created: true, before: '' }]),
      ApplyTool: async () => toolResult('claude-code', [{ path: '/p', action: 'created' }], { keyCreated: true }),
      UndoTool: async () => toolResult('claude-code', [{ path: '/p', action: 'removed', backup: '/b' }], { keyRevoked: true }),
    })

    expect((await api.getTools()).tools).toHaveLength(2)
    expect((await api.planTool('claude-code', choice)).files[0].created).toBe(true)
    expect((await api.applyTool('claude-code', choice)).files[0].action).toBe('created')
    expect((await api.undoTool('claude-code')).keyRevoked).toBe(true)

    expect(App.GetTools.mock.calls).toEqual([[]])
    expect(App.PlanTool.mock.calls).toEqual([['claude-code', { model: 'fakecfg/m1', slots: { haiku: 'cfg-combo' } }]])
    expect(App.ApplyTool.mock.calls).toEqual([['claude-code', { model: 'fakecfg/m1', slots: { haiku: 'cfg-combo' } }]])
    expect(App.UndoTool.mock.calls).toEqual([['claude-code']])
    expect(fetchMock).not.toHaveBeenCalled()
  })

  it('maps a Go error to an ApiError', async () => {
    installWails({ UndoTool: async () => Promise.reject('invalid: clitools: Switchboard has not configured this tool (nothing to undo): Codex') })
    const err = await api.undoTool('codex').catch((e) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err.message).toMatch(/nothing to undo/)
  })
})
