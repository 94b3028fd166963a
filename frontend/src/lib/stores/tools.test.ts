import { describe, expect, it, vi } from 'vitest'
import { ApiError } from '../api/transport'
import type { ToolChoice, ToolsOverview, ToolStatus } from '../api/types'
import { CLAUDE_DIFF, modelInfo, toolPlan, toolResult, toolStatus } from '../../test/fakes'
import {
  actionLabel,
  choiceKey,
  diffLines,
  diffStats,
  manualName,
  slotLabel,
  stateLabel,
  toolMessage,
  ToolsStore,
  type ToolsApi,
} from './tools.svelte'

function claude(extra: Partial<ToolStatus> = {}): ToolStatus {
  return toolStatus('claude-code', { name: 'Claude Code', slots: ['opus', 'sonnet', 'haiku'], ...extra })
}

function fakeApi(tools: ToolStatus[] = [claude(), toolStatus('codex')]) {
  let current = tools
  const overview = (): ToolsOverview => ({ tools: current, manual: [{ id: 'cursor', instructions: 'do this' }], snippet: 'export X=1' })
  return {
    set: (t: ToolStatus[]) => (current = t),
    client: {
      getTools: vi.fn(async () => overview()),
      listModels: vi.fn(async () => [
        modelInfo('fakecfg/m1'),
        modelInfo('fakecfg/embed', { Embedding: true }),
        modelInfo('fast', { Alias: true }),
        modelInfo('cfg-combo', { Combo: true }),
        modelInfo('fakecfg/m1'),
      ]),
      planTool: vi.fn(async (id: string, _c: ToolChoice) => toolPlan(id, [{}])),
      applyTool: vi.fn(async (id: string, _c: ToolChoice) =>
        toolResult(id, [{ path: '/home/u/.claude/settings.json', action: 'updated', backup: '/bk/1' }], { keyCreated: true }),
      ),
      undoTool: vi.fn(async (id: string) => toolResult(id, [{ path: '/home/u/.claude/settings.json', action: 'restored' }], { keyRevoked: true })),
    } satisfies ToolsApi,
  }
}

describe('labels and diffs', () => {
  it('names the states, manual tools, slots and file actions', () => {
    expect(stateLabel('ours')).toBe('Routed through Switchboard')
    expect(stateLabel('other')).toBe('Points elsewhere')
    expect(stateLabel('untouched')).toBe('Not configured')
    expect(stateLabel('malformed')).toBe('Config file malformed')
    expect(stateLabel('future')).toBe('Future')
    expect(manualName('vscode-copilot')).toBe('VS Code Copilot')
    expect(manualName('roo-code')).toBe('Roo Code')
    expect(manualName('cursor')).toBe('Cursor')
    expect(manualName('new-thing')).toBe('New Thing')
    expect(slotLabel('haiku')).toBe('Haiku')
    expect(actionLabel('updated')).toBe('Updated')
    expect(actionLabel('odd')).toBe('odd')
  })

  it('classifies unified diff lines', () => {
    const lines = diffLines(CLAUDE_DIFF)
    expect(lines.map((l) => l.kind)).toEqual(['file', 'file', 'hunk', 'ctx', 'ctx', 'del', 'add', 'add', 'add', 'add', 'ctx', 'ctx'])
    expect(lines[6].text).toBe('+    "FOO": "bar",')
    expect(diffStats(CLAUDE_DIFF)).toEqual({ added: 4, removed: 1 })
    expect(diffLines('')).toEqual([])
    expect(diffLines('--- /dev/null\r\n+++ b/x\r\n+a')).toEqual([
      { kind: 'file', text: '--- /dev/null' },
      { kind: 'file', text: '+++ b/x' },
      { kind: 'add', text: '+a' },
    ])
  })

  it('drops the Go package prefixes from error messages', () => {
    expect(toolMessage(new ApiError(400, 'clitools: choose a model for Codex (any Switchboard model, alias or combo name)'))).toBe(
      'Choose a model for Codex (any Switchboard model, alias or combo name)',
    )
    expect(toolMessage(new ApiError(500, 'invalid: clitools: /h/.codex/config.toml: line 2: bad'))).toBe('/h/.codex/config.toml: line 2: bad')
    expect(toolMessage(new Error('Cannot reach Switchboard.'))).toBe('Cannot reach Switchboard.')
  })

  it('choiceKey ignores the order of slots', () => {
    expect(choiceKey({ model: 'a', slots: { opus: 'x', haiku: 'y' } })).toBe(choiceKey({ model: 'a', slots: { haiku: 'y', opus: 'x' } }))
    expect(choiceKey({ model: 'a' })).not.toBe(choiceKey({ model: 'b' }))
  })
})

describe('ToolsStore', () => {
  it('loads the tools, the manual ones, the snippet and the picker (no embedding models, no duplicates)', async () => {
    const { client } = fakeApi([claude({ state: 'ours', model: 'fakecfg/m1', managed: true }), toolStatus('codex', { state: 'other', model: 'gpt-5' })])
    const store = new ToolsStore(client)
    await store.load()
    expect(store.loaded).toBe(true)
    expect(store.tools.map((t) => t.id)).toEqual(['claude-code', 'codex'])
    expect(store.manual).toEqual([{ id: 'cursor', instructions: 'do this' }])
    expect(store.snippet).toBe('export X=1')
    expect(store.modelIds()).toEqual(['cfg-combo', 'fakecfg/m1', 'fast'])
    // a tool routed here starts from its current model; one pointing elsewhere does not (its model is not ours)
    expect(store.ui['claude-code'].model).toBe('fakecfg/m1')
    expect(store.ui['claude-code'].slots).toEqual({ opus: '', sonnet: '', haiku: '' })
    expect(store.ui.codex.model).toBe('')
  })

  it('still loads the tools when the model list fails', async () => {
    const { client } = fakeApi()
    client.listModels.mockRejectedValueOnce(new ApiError(500, 'boom'))
    const store = new ToolsStore(client)
    await store.load()
    expect(store.error).toBe('')
    expect(store.tools).toHaveLength(2)
    expect(store.modelIds()).toEqual([])
  })

  it('shows a load failure', async () => {
    const { client } = fakeApi()
    client.getTools.mockRejectedValueOnce(new ApiError(0, 'Cannot reach Switchboard.'))
    const store = new ToolsStore(client)
    await store.load()
    expect(store.error).toBe('Cannot reach Switchboard.')
    expect(store.loaded).toBe(false)
  })

  it('previews the picks (model + filled slots only), and a preview goes stale when the picks change', async () => {
    const { client } = fakeApi()
    const store = new ToolsStore(client)
    await store.load()
    const ui = store.ui['claude-code']
    ui.model = ' fakecfg/m1 '
    ui.slots.haiku = 'cfg-combo'
    expect(await store.preview('claude-code')).toBe(true)
    expect(client.planTool).toHaveBeenCalledWith('claude-code', { model: 'fakecfg/m1', slots: { haiku: 'cfg-combo' } })
    expect(ui.plan?.files).toHaveLength(1)
    expect(store.planIsCurrent('claude-code')).toBe(true)
    ui.slots.opus = 'fast'
    expect(store.planIsCurrent('claude-code')).toBe(false)
    ui.slots.opus = ''
    expect(store.planIsCurrent('claude-code')).toBe(true)
  })

  it('shows a 400 from the preview on the tool and drops the old preview', async () => {
    const { client } = fakeApi()
    const store = new ToolsStore(client)
    await store.load()
    await store.preview('codex')
    client.planTool.mockRejectedValueOnce(new ApiError(400, 'clitools: choose a model for Codex (any Switchboard model, alias or combo name)', 'invalid'))
    expect(await store.preview('codex')).toBe(false)
    expect(store.ui.codex.error).toBe('Choose a model for Codex (any Switchboard model, alias or combo name)')
    expect(store.ui.codex.plan).toBeNull()
    expect(store.ui.codex.busy).toBe('')
    expect(store.ui['claude-code'].error).toBe('')
  })

  it('applies only a current preview, posts the previewed picks, keeps the result and re-detects', async () => {
    const api = fakeApi()
    const { client } = api
    const store = new ToolsStore(client)
    await store.load()
    const ui = store.ui['claude-code']
    ui.model = 'fakecfg/m1'
    ui.slots.opus = 'fast'

    expect(await store.apply('claude-code')).toBeNull()
    expect(ui.error).toMatch(/Preview the change first/)
    expect(client.applyTool).not.toHaveBeenCalled()

    await store.preview('claude-code')
    api.set([claude({ state: 'ours', model: 'fakecfg/m1', managed: true }), toolStatus('codex')])
    const res = await store.apply('claude-code')
    expect(res?.keyCreated).toBe(true)
    expect(client.applyTool).toHaveBeenCalledWith('claude-code', { model: 'fakecfg/m1', slots: { opus: 'fast' } })
    expect(ui.result?.files[0].backup).toBe('/bk/1')
    expect(ui.resultOf).toBe('apply')
    expect(ui.plan).toBeNull()
    expect(ui.error).toBe('')
    expect(client.getTools).toHaveBeenCalledTimes(2)
    expect(store.find('claude-code')?.state).toBe('ours')
    // the picks stay as chosen
    expect(ui.slots).toEqual({ opus: 'fast', sonnet: '', haiku: '' })
  })

  it('keeps the preview when apply fails', async () => {
    const { client } = fakeApi()
    const store = new ToolsStore(client)
    await store.load()
    store.ui['claude-code'].model = 'm'
    await store.preview('claude-code')
    client.applyTool.mockRejectedValueOnce(new ApiError(400, 'clitools: /h/.claude/settings.json: line 3, column 1: unexpected "}"'))
    expect(await store.apply('claude-code')).toBeNull()
    expect(store.ui['claude-code'].error).toBe('/h/.claude/settings.json: line 3, column 1: unexpected "}"')
    expect(store.ui['claude-code'].plan).not.toBeNull()
    expect(client.getTools).toHaveBeenCalledTimes(1)
  })

  it('undoes and re-detects; a 400 (nothing to undo) is shown on the tool', async () => {
    const api = fakeApi([claude({ state: 'ours', model: 'fakecfg/m1', managed: true })])
    const { client } = api
    const store = new ToolsStore(client)
    await store.load()
    api.set([claude()])
    const res = await store.undo('claude-code')
    expect(client.undoTool).toHaveBeenCalledWith('claude-code')
    expect(res?.keyRevoked).toBe(true)
    expect(store.ui['claude-code'].resultOf).toBe('undo')
    expect(store.find('claude-code')?.managed).toBe(false)

    client.undoTool.mockRejectedValueOnce(
      new ApiError(400, 'clitools: Switchboard has not configured this tool (nothing to undo): Claude Code', 'invalid'),
    )
    expect(await store.undo('claude-code')).toBeNull()
    expect(store.ui['claude-code'].error).toBe('Switchboard has not configured this tool (nothing to undo): Claude Code')
  })

  it('discards a preview and dismisses a result', async () => {
    const { client } = fakeApi()
    const store = new ToolsStore(client)
    await store.load()
    store.ui.codex.model = 'm'
    await store.preview('codex')
    store.discardPlan('codex')
    expect(store.ui.codex.plan).toBeNull()
    await store.preview('codex')
    await store.apply('codex')
    store.dismissResult('codex')
    expect(store.ui.codex.result).toBeNull()
  })
})
