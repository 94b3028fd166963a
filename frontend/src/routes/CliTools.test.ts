import { screen, waitFor, within } from '@testing-library/dom'
import userEvent from '@testing-library/user-event'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { ToolChoice, ToolStatus } from '../lib/api/types'
import {
  errorResponse,
  installWails,
  modelInfo,
  stubBackend,
  toolPlan,
  toolResult,
  toolStatus,
  type RecordedCall,
} from '../test/fakes'

// The stores are module singletons: each test renders from a fresh module graph.
let cleanup: (() => void) | undefined

async function renderPage() {
  const tl = await import('@testing-library/svelte')
  const { default: CliTools } = await import('./CliTools.svelte')
  cleanup = tl.cleanup
  return tl.render(CliTools)
}

beforeEach(() => {
  vi.resetModules()
})

afterEach(() => {
  cleanup?.()
  cleanup = undefined
})

const SETTINGS = '/home/u/.claude/settings.json'
const MALFORMED = '/home/u/.codex/config.toml: line 2, column 8: unexpected \'\\n\' after key "broken" (the file was left untouched; fix it or move it away, then try again)'

const DIFF = [
  `--- a${SETTINGS}`,
  `+++ b${SETTINGS}`,
  '@@ -2,5 +2,8 @@',
  '   "model": "opus",',
  '   "env": {',
  '-    "FOO": "bar"',
  '+    "FOO": "bar",',
  '+    "ANTHROPIC_BASE_URL": "http://127.0.0.1:20128",',
  '+    "ANTHROPIC_AUTH_TOKEN": "sk-sb-new-key-created-on-apply",',
  '+    "ANTHROPIC_MODEL": "fakecfg/m1"',
  '   },',
  '   "hooks": {}',
  ' }',
  '',
].join('\n')

const OPENCODE = '/home/u/.config/opencode/opencode.json'
const OPENCODE_DIFF = [`--- /dev/null`, `+++ b${OPENCODE}`, '@@ -0,0 +1,3 @@', '+{', '+  "model": "switchboard/fakecfg/m1"', '+}', ''].join('\n')

function seededTools(): ToolStatus[] {
  return [
    toolStatus('claude-code', {
      name: 'Claude Code',
      binaryPath: '/usr/local/bin/claude',
      configPaths: [SETTINGS],
      state: 'untouched',
      model: 'opus',
      slots: ['opus', 'sonnet', 'haiku'],
    }),
    toolStatus('codex', { name: 'Codex', configPaths: ['/home/u/.codex/config.toml'], state: 'malformed', detail: MALFORMED }),
    toolStatus('gemini-cli', {
      name: 'Gemini CLI',
      installed: false,
      configPaths: ['/home/u/.gemini/.env', '/home/u/.gemini/settings.json'],
      state: 'other',
      detail: 'GOOGLE_GEMINI_BASE_URL is https://proxy.example',
    }),
    toolStatus('opencode', { name: 'OpenCode', configPaths: [OPENCODE], slots: ['small'], installed: false, configFound: true }),
  ]
}

const models = [
  modelInfo('fakecfg/m1'),
  modelInfo('fakecfg/embed', { Embedding: true }),
  modelInfo('fast', { Alias: true }),
  modelInfo('cfg-combo', { Combo: true }),
]

const SNIPPET = 'export OPENAI_BASE_URL="http://127.0.0.1:20128/v1"\nexport ANTHROPIC_BASE_URL="http://127.0.0.1:20128"\n'

/** An in-memory backend for the CLI Tools page over HTTP. */
function backend(initial: ToolStatus[] = seededTools()) {
  let tools = structuredClone(initial)
  const update = (id: string, patch: Partial<ToolStatus>) => (tools = tools.map((t) => (t.id === id ? { ...t, ...patch } : t)))
  const stub = stubBackend((c: RecordedCall) => {
    if (c.method === 'GET' && c.url === '/api/tools')
      return {
        tools,
        manual: [
          { id: 'cursor', instructions: 'Cursor → Settings → Models:\n  Override OpenAI Base URL: http://127.0.0.1:20128/v1' },
          { id: 'vscode-copilot', instructions: 'VS Code → Chat → Manage Models' },
        ],
        snippet: SNIPPET,
      }
    if (c.method === 'GET' && c.url === '/api/models') return models
    const m = /^\/api\/tools\/([^/]+)\/(plan|apply|undo)$/.exec(c.url)
    if (c.method === 'POST' && m) {
      const id = decodeURIComponent(m[1])
      const body = c.body as ToolChoice | undefined
      if (id === 'codex') return errorResponse(400, `clitools: ${MALFORMED}`, 'invalid')
      if (m[2] === 'plan') {
        if (id === 'opencode')
          return toolPlan('opencode', [{ path: OPENCODE, before: '', after: '{}', created: true, diff: OPENCODE_DIFF }], {
            model: body!.model,
          })
        return toolPlan(id, [{ path: SETTINGS, diff: DIFF }], { model: body!.model })
      }
      if (m[2] === 'apply') {
        update(id, { state: 'ours', model: body!.model, managed: true, installed: true })
        return toolResult(id, [{ path: SETTINGS, action: 'updated', backup: '/data/backups/clitools/claude-code/1-settings.json' }], {
          keyCreated: true,
          warnings: ['Claude Code is running: restart it to pick up the change'],
        })
      }
      const t = tools.find((x) => x.id === id)
      if (!t?.managed) return errorResponse(400, `clitools: Switchboard has not configured this tool (nothing to undo): ${t?.name}`, 'invalid')
      update(id, { state: 'untouched', model: 'opus', managed: false })
      return toolResult(id, [{ path: SETTINGS, action: 'restored', backup: '/data/backups/clitools/claude-code/2-settings.json' }], {
        keyRevoked: true,
      })
    }
    return errorResponse(404, `no route ${c.method} ${c.url}`)
  })
  return { ...stub, update }
}

const card = (id: string) => document.querySelector(`[data-testid="tool-card"][data-tool-id="${id}"]`) as HTMLElement
const posts = (calls: RecordedCall[]) => calls.filter((c) => c.method === 'POST').map((c) => [c.url, c.body])

describe('CLI Tools page', () => {
  it('shows a card per tool: installed or not, state, detail, current model, config files, undo only when managed', async () => {
    backend([...seededTools(), toolStatus('cline', { name: 'Cline', state: 'ours', model: 'fast', managed: true, slots: ['plan', 'act'] })])
    await renderPage()
    await waitFor(() => expect(card('claude-code')).toBeTruthy())
    expect(screen.getByRole('heading', { name: 'CLI Tools', level: 1 })).toBeTruthy()
    // detected (installed or set up here) first; the rest folded into one closed list
    const inGroup = (id: string) => [...screen.getByTestId(id).querySelectorAll<HTMLElement>('[data-testid="tool-card"]')].map((c) => c.dataset.toolId)
    expect(inGroup('tools-detected')).toEqual(['claude-code', 'codex', 'cline'])
    expect(inGroup('tools-others')).toEqual(['gemini-cli', 'opencode'])
    expect((screen.getByTestId('tools-others') as HTMLDetailsElement).open).toBe(false)
    expect(screen.getByTestId('tools-others').querySelector('summary')!.textContent).toMatch(/Not found on this machine\s*\(2: Gemini CLI, OpenCode\)/)

    const cc = within(card('claude-code'))
    expect(cc.getByRole('heading', { name: 'Claude Code' })).toBeTruthy()
    expect(cc.getByTestId('tool-state').textContent).toBe('Not configured')
    expect(cc.getByTestId('tool-installed').textContent?.trim()).toBe('Installed')
    expect(cc.getByTestId('tool-model').textContent?.trim()).toBe('opus')
    expect(cc.getAllByTestId('tool-config-path').map((e) => e.textContent)).toEqual([SETTINGS])
    expect(cc.getByTestId('tool-binary').textContent).toBe('/usr/local/bin/claude')
    // a model picker plus one per slot
    expect(cc.getByLabelText('Model for Claude Code')).toBeTruthy()
    for (const s of ['Opus', 'Sonnet', 'Haiku']) expect(cc.getByLabelText(`${s} model for Claude Code`)).toBeTruthy()
    expect(cc.queryByRole('button', { name: 'Undo Claude Code' })).toBeNull()

    // malformed: the error with the file and line
    const codex = within(card('codex'))
    expect(codex.getByTestId('tool-state').textContent).toBe('Config file malformed')
    expect(codex.getByTestId('tool-detail').textContent).toContain('config.toml: line 2, column 8')
    expect(codex.getByTestId('tool-detail').classList.contains('error')).toBe(true)
    expect(card('codex').querySelectorAll('input')).toHaveLength(1) // no slots: the model picker only

    const gemini = within(card('gemini-cli'))
    expect(gemini.getByTestId('tool-state').textContent).toBe('Points elsewhere')
    expect(gemini.getByTestId('tool-detail').textContent).toBe('GOOGLE_GEMINI_BASE_URL is https://proxy.example')
    expect(gemini.getByTestId('tool-installed').textContent?.trim()).toBe('Not found on this machine')
    expect(within(card('opencode')).getByTestId('tool-installed').textContent?.trim()).toBe('Program not found (config file present)')
    expect(gemini.getAllByTestId('tool-config-path')).toHaveLength(2)
    expect(gemini.getByTestId('tool-model').textContent).toMatch(/default/)
    expect(within(card('opencode')).getByLabelText('Small model for OpenCode')).toBeTruthy()

    // managed: routed here, undo offered, the picker starts from its model
    const cline = within(card('cline'))
    expect(cline.getByTestId('tool-state').textContent).toBe('Routed through Switchboard')
    expect(cline.getByRole('button', { name: 'Undo Cline' })).toBeTruthy()
    expect((cline.getByLabelText('Model for Cline') as HTMLInputElement).value).toBe('fast')
    expect(screen.getAllByRole('button', { name: /^Undo / })).toHaveLength(1)

    // the datalist: any model, alias or combo; no embedding models
    const options = [...screen.getByTestId('tool-models').querySelectorAll('option')].map((o) => o.value)
    expect(options).toEqual(['cfg-combo', 'fakecfg/m1', 'fast'])
    expect((cc.getByLabelText('Model for Claude Code') as HTMLInputElement).getAttribute('list')).toBe('tool-models')

    // manual tools and the shell snippet with a copy button
    const manual = screen.getAllByTestId('manual-tool')
    expect(manual.map((m) => within(m).getByRole('heading').textContent)).toEqual(['Cursor', 'VS Code Copilot'])
    expect(manual[0].textContent).toContain('Override OpenAI Base URL: http://127.0.0.1:20128/v1')
    expect(screen.getByTestId('snippet-text').textContent).toBe(SNIPPET)
    expect(screen.getByRole('button', { name: 'Copy shell snippet' })).toBeTruthy()
  })

  it('previews the diff (+/- lines coloured per kind), applies the chosen model and slots after confirming, and refreshes', async () => {
    const user = userEvent.setup()
    const be = backend()
    await renderPage()
    await waitFor(() => expect(card('claude-code')).toBeTruthy())
    const cc = within(card('claude-code'))

    await user.type(cc.getByLabelText('Model for Claude Code'), 'fakecfg/m1')
    await user.type(cc.getByLabelText('Haiku model for Claude Code'), 'cfg-combo')
    // nothing is applied without a preview
    expect(cc.queryByRole('button', { name: 'Apply to Claude Code' })).toBeNull()
    await user.click(cc.getByRole('button', { name: 'Preview Claude Code' }))

    const plan = within(await cc.findByTestId('tool-plan'))
    const file = plan.getByTestId('plan-file')
    expect(file.dataset.path).toBe(SETTINGS)
    expect(within(file).queryByTestId('created-badge')).toBeNull()
    const lines = [...file.querySelectorAll<HTMLElement>('[data-testid="diff"] .dl')]
    const of = (kind: string) => lines.filter((l) => l.dataset.kind === kind).map((l) => l.textContent)
    expect(of('add')).toEqual([
      '+    "FOO": "bar",',
      '+    "ANTHROPIC_BASE_URL": "http://127.0.0.1:20128",',
      '+    "ANTHROPIC_AUTH_TOKEN": "sk-sb-new-key-created-on-apply",',
      '+    "ANTHROPIC_MODEL": "fakecfg/m1"',
    ])
    expect(of('del')).toEqual(['-    "FOO": "bar"'])
    expect(of('hunk')).toEqual(['@@ -2,5 +2,8 @@'])
    expect(of('file')).toHaveLength(2)
    expect(of('ctx')).toContain('   "hooks": {}')
    expect(file.querySelector('pre')!.className).toMatch(/diff/)
    expect(plan.getByTestId('plan-key').textContent).toMatch(/creates a key named claude-code/)

    // the preview is the one confirm step: what it writes, and two buttons
    const confirm = plan.getByRole('group', { name: 'Confirm applying to Claude Code' })
    expect(confirm.textContent).toMatch(/Write 1 file and create the key claude-code\?/)
    expect(within(confirm).getAllByRole('button').map((b) => b.textContent?.trim())).toEqual(['Discard', 'Apply'])
    expect(be.calls.some((c) => c.url.endsWith('/apply'))).toBe(false)
    await user.click(plan.getByRole('button', { name: 'Apply to Claude Code' }))

    const result = within(await cc.findByTestId('tool-result'))
    expect(posts(be.calls)).toEqual([
      ['/api/tools/claude-code/plan', { model: 'fakecfg/m1', slots: { haiku: 'cfg-combo' } }],
      ['/api/tools/claude-code/apply', { model: 'fakecfg/m1', slots: { haiku: 'cfg-combo' } }],
    ])
    expect(result.getByRole('status').textContent).toMatch(/Claude Code now goes through Switchboard/)
    const written = result.getByTestId('result-file')
    expect(written.dataset.action).toBe('updated')
    expect(written.textContent).toContain(SETTINGS)
    expect(result.getByTestId('result-backup').textContent).toContain('/data/backups/clitools/claude-code/1-settings.json')
    expect(result.getByTestId('result-key').textContent).toMatch(/Key created\s*claude-code/)
    expect(result.getByTestId('result-warnings').textContent).toMatch(/restart it/)
    expect(cc.queryByTestId('tool-plan')).toBeNull()

    // re-detected after the action
    await waitFor(() => expect(cc.getByTestId('tool-state').textContent).toBe('Routed through Switchboard'))
    expect(be.calls.filter((c) => c.url === '/api/tools')).toHaveLength(2)
    expect(cc.getByTestId('tool-model').textContent?.trim()).toBe('fakecfg/m1')
    expect(cc.getByRole('button', { name: 'Undo Claude Code' })).toBeTruthy()
  })

  it('marks a file the apply would create', async () => {
    const user = userEvent.setup()
    backend()
    await renderPage()
    await waitFor(() => expect(card('opencode')).toBeTruthy())
    const oc = within(card('opencode'))
    await user.type(oc.getByLabelText('Model for OpenCode'), 'fakecfg/m1')
    await user.click(oc.getByRole('button', { name: 'Preview OpenCode' }))
    const file = await oc.findByTestId('plan-file')
    expect(file.dataset.created).toBe('true')
    expect(within(file).getByTestId('created-badge').textContent).toBe('New file')
    expect([...file.querySelectorAll<HTMLElement>('.dl[data-kind="add"]')].map((l) => l.textContent)).toEqual([
      '+{',
      '+  "model": "switchboard/fakecfg/m1"',
      '+}',
    ])
  })

  it('a preview goes stale when the picks change: apply is offered again only after a new preview', async () => {
    const user = userEvent.setup()
    const be = backend()
    await renderPage()
    await waitFor(() => expect(card('claude-code')).toBeTruthy())
    const cc = within(card('claude-code'))
    await user.type(cc.getByLabelText('Model for Claude Code'), 'fakecfg/m1')
    await user.click(cc.getByRole('button', { name: 'Preview Claude Code' }))
    await cc.findByRole('button', { name: 'Apply to Claude Code' })
    await user.type(cc.getByLabelText('Opus model for Claude Code'), 'fast')
    expect(cc.getByTestId('plan-stale').textContent).toMatch(/preview again/)
    expect(cc.queryByRole('button', { name: 'Apply to Claude Code' })).toBeNull()
    await user.click(cc.getByRole('button', { name: 'Preview Claude Code' }))
    await waitFor(() => expect(cc.queryByTestId('plan-stale')).toBeNull())
    await user.click(cc.getByRole('button', { name: 'Apply to Claude Code' }))
    await cc.findByTestId('tool-result')
    expect(posts(be.calls).at(-1)).toEqual(['/api/tools/claude-code/apply', { model: 'fakecfg/m1', slots: { opus: 'fast' } }])

    await user.click(cc.getByRole('button', { name: 'Dismiss the result for Claude Code' }))
    expect(cc.queryByTestId('tool-result')).toBeNull()
  })

  it('undoes a managed tool after confirming, then refreshes', async () => {
    const user = userEvent.setup()
    const tools = seededTools()
    tools[0] = { ...tools[0], state: 'ours', model: 'fakecfg/m1', managed: true }
    const be = backend(tools)
    await renderPage()
    await waitFor(() => expect(card('claude-code')).toBeTruthy())
    const cc = within(card('claude-code'))
    expect((cc.getByLabelText('Model for Claude Code') as HTMLInputElement).value).toBe('fakecfg/m1')

    await user.click(cc.getByRole('button', { name: 'Undo Claude Code' }))
    expect(cc.getByRole('group', { name: 'Confirm undoing Claude Code' }).textContent).toMatch(/revoke its key/)
    expect(posts(be.calls)).toEqual([])
    await user.click(cc.getByRole('button', { name: 'Confirm undo Claude Code' }))

    const result = within(await cc.findByTestId('tool-result'))
    expect(posts(be.calls)).toEqual([['/api/tools/claude-code/undo', undefined]])
    expect(result.getByRole('status').textContent).toMatch(/back to how it was/)
    expect(result.getByTestId('result-file').dataset.action).toBe('restored')
    expect(result.getByTestId('result-key').textContent).toMatch(/Key revoked\s*claude-code/)
    await waitFor(() => expect(cc.getByTestId('tool-state').textContent).toBe('Not configured'))
    expect(cc.queryByRole('button', { name: 'Undo Claude Code' })).toBeNull()
  })

  it('shows the server’s 400 inline on the tool (malformed file with path and line)', async () => {
    const user = userEvent.setup()
    backend()
    await renderPage()
    await waitFor(() => expect(card('codex')).toBeTruthy())
    const codex = within(card('codex'))
    await user.type(codex.getByLabelText('Model for Codex'), 'fakecfg/m1')
    await user.click(codex.getByRole('button', { name: 'Preview Codex' }))
    const alert = await codex.findByRole('alert')
    expect(alert.textContent).toBe(MALFORMED)
    expect(codex.queryByTestId('tool-plan')).toBeNull()
    // only that card
    expect(within(card('claude-code')).queryByRole('alert')).toBeNull()
  })

  it('speaks the active language and follows a switch without a reload', async () => {
    const user = userEvent.setup()
    backend()
    await renderPage()
    await waitFor(() => expect(card('claude-code')).toBeTruthy())
    const { applyLanguage } = await import('../lib/i18n')
    try {
      applyLanguage('fi')
      const cc = within(card('claude-code'))
      expect(await screen.findByRole('button', { name: 'Etsi työkaluja uudelleen' })).toBeTruthy()
      expect(cc.getByTestId('tool-state').textContent).toBe('Ei määritetty')
      await user.type(cc.getByLabelText('Malli työkalulle Claude Code'), 'fakecfg/m1')
      await user.click(cc.getByRole('button', { name: 'Esikatsele: Claude Code' }))
      const plan = within(await cc.findByTestId('tool-plan'))
      expect(plan.getByRole('heading').textContent).toMatch(/Esikatsele\s+1 tiedosto kirjoitettavana/)
      // the key name stays code inside the translated sentence
      const note = plan.getByTestId('plan-key')
      expect(note.textContent).toMatch(/^\s*Käyttöönotto luo työkalulle Claude Code avaimen nimeltä claude-code;/)
      expect(note.querySelector('code')!.textContent).toBe('claude-code')
      expect(plan.getByText('Kirjoitetaanko 1 tiedosto ja luodaanko avain claude-code? Varmuuskopiot säilytetään.')).toBeTruthy()

      applyLanguage('zh-CN')
      expect(await screen.findByRole('button', { name: '重新扫描工具' })).toBeTruthy()
      expect(plan.getByRole('heading').textContent).toMatch(/预览\s+将写入 1 个文件/)
      expect(cc.getByTestId('tool-state').textContent).toBe('未配置')
    } finally {
      applyLanguage('en')
    }
  })

  it('uses the bound methods inside the Wails window', async () => {
    const user = userEvent.setup()
    const fetchMock = vi.fn()
    vi.stubGlobal('fetch', fetchMock)
    let tools = seededTools().slice(0, 1)
    const { App } = installWails({
      GetTools: async () => ({ tools, manual: null, snippet: SNIPPET }),
      ListModels: async () => models,
      PlanTool: async (id: string) => toolPlan(id, [{ path: SETTINGS, diff: DIFF }]),
      ApplyTool: async (id: string, c: ToolChoice) => {
        tools = [{ ...tools[0], state: 'ours', model: c.model, managed: true }]
        return toolResult(id, [{ path: SETTINGS, action: 'updated', backup: '/b/1' }], { keyCreated: true })
      },
      UndoTool: async (id: string) => {
        tools = seededTools().slice(0, 1)
        return toolResult(id, [{ path: SETTINGS, action: 'restored' }], { keyRevoked: true })
      },
    })
    await renderPage()
    await waitFor(() => expect(card('claude-code')).toBeTruthy())
    const cc = within(card('claude-code'))
    await user.type(cc.getByLabelText('Model for Claude Code'), 'fast')
    await user.type(cc.getByLabelText('Sonnet model for Claude Code'), 'fakecfg/m1')
    await user.click(cc.getByRole('button', { name: 'Preview Claude Code' }))
    await user.click(await cc.findByRole('button', { name: 'Apply to Claude Code' }))
    await waitFor(() => expect(cc.getByTestId('tool-state').textContent).toBe('Routed through Switchboard'))
    await user.click(cc.getByRole('button', { name: 'Undo Claude Code' }))
    await user.click(cc.getByRole('button', { name: 'Confirm undo Claude Code' }))
    await waitFor(() => expect(cc.getByTestId('tool-state').textContent).toBe('Not configured'))

    expect(App.PlanTool.mock.calls).toEqual([['claude-code', { model: 'fast', slots: { sonnet: 'fakecfg/m1' } }]])
    expect(App.ApplyTool.mock.calls).toEqual([['claude-code', { model: 'fast', slots: { sonnet: 'fakecfg/m1' } }]])
    expect(App.UndoTool.mock.calls).toEqual([['claude-code']])
    expect(App.GetTools.mock.calls.length).toBe(3)
    expect(fetchMock).not.toHaveBeenCalled()
  })
})
