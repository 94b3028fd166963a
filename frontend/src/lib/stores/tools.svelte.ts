// CLI tools: the coding tools found on this machine (Claude Code, Codex, Gemini
// CLI, OpenCode, Cline…), where each points, and the one-click change that points
// it at Switchboard: the user picks a model (and per-slot models), previews the
// diff per file, applies it (files backed up, a key named after the tool created)
// and can undo it. Manual tools (configured in their own UI) only get instructions.

import { api, toolChoice, type Api } from '../api/client'
import type { ManualTool, ModelInfo, ToolChoice, ToolPlan, ToolResult, ToolStatus } from '../api/types'
import { m } from '../i18n'

export type ToolsApi = Pick<Api, 'getTools' | 'planTool' | 'applyTool' | 'undoTool' | 'listModels'>

// ---------------------------------------------------------------------------
// labels

// functions, so each call reads the active language
const STATE_LABELS: Record<string, () => string> = {
  ours: m.tools_state_ours,
  other: m.tools_state_other,
  untouched: m.tools_state_untouched,
  malformed: m.tools_state_malformed,
}

export function stateLabel(state: string): string {
  return STATE_LABELS[state]?.() ?? (state ? state.charAt(0).toUpperCase() + state.slice(1) : m.tools_state_unknown())
}

const MANUAL_NAMES: Record<string, string> = {
  cursor: 'Cursor',
  'roo-code': 'Roo Code',
  'vscode-copilot': 'VS Code Copilot',
}

/** "roo-code" → "Roo Code" (unknown ids are made readable). */
export function manualName(id: string): string {
  return MANUAL_NAMES[id] ?? id.split(/[-_]/).map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(' ')
}

/** "opus" → "Opus" */
export function slotLabel(slot: string): string {
  return slot ? slot.charAt(0).toUpperCase() + slot.slice(1) : slot
}

const ACTION_LABELS: Record<string, () => string> = {
  created: m.tools_action_created,
  updated: m.tools_action_updated,
  unchanged: m.tools_action_unchanged,
  restored: m.tools_action_restored,
  reverted: m.tools_action_reverted,
  removed: m.tools_action_removed,
  missing: m.tools_action_missing,
}

export function actionLabel(action: string): string {
  return ACTION_LABELS[action]?.() ?? action
}

/**
 * The message to show for a failed call. The backend's user errors (400) name
 * the file, line and problem; drop the Go package prefixes they may carry
 * ("invalid: clitools: …").
 */
export function toolMessage(e: unknown): string {
  let msg = e instanceof Error ? e.message : String(e)
  for (;;) {
    const next = msg.replace(/^(?:mgmt: )?invalid: /, '').replace(/^clitools: /, '')
    if (next === msg) break
    msg = next
  }
  return msg ? msg.charAt(0).toUpperCase() + msg.slice(1) : msg
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

// ---------------------------------------------------------------------------
// diffs

export type DiffKind = 'file' | 'hunk' | 'add' | 'del' | 'ctx'

export interface DiffLine {
  kind: DiffKind
  text: string
}

/** Split a unified diff into classified lines (for colouring). */
export function diffLines(diff: string): DiffLine[] {
  if (!diff) return []
  const lines = diff.replace(/\r\n/g, '\n').split('\n')
  if (lines.at(-1) === '') lines.pop()
  return lines.map((text) => {
    let kind: DiffKind = 'ctx'
    if (text.startsWith('--- ') || text.startsWith('+++ ')) kind = 'file'
    else if (text.startsWith('@@')) kind = 'hunk'
    else if (text.startsWith('+')) kind = 'add'
    else if (text.startsWith('-')) kind = 'del'
    return { kind, text }
  })
}

/** lines added and removed by a unified diff */
export function diffStats(diff: string): { added: number; removed: number } {
  let added = 0
  let removed = 0
  for (const l of diffLines(diff)) {
    if (l.kind === 'add') added++
    else if (l.kind === 'del') removed++
  }
  return { added, removed }
}

// ---------------------------------------------------------------------------
// per-tool UI state

export type ToolBusy = '' | 'plan' | 'apply' | 'undo'

export interface ToolUi {
  /** the main model, as typed */
  model: string
  /** per-slot models, as typed ("" = same as the main model) */
  slots: Record<string, string>
  /** the last preview */
  plan: ToolPlan | null
  /** the choice that preview was made for (see choiceKey) */
  planned: string
  /** what the last apply or undo did */
  result: ToolResult | null
  resultOf: 'apply' | 'undo' | null
  busy: ToolBusy
  /** the last failure of a preview, apply or undo (shown on the card) */
  error: string
}

/** a stable text form of a choice, to tell whether a preview is still current */
export function choiceKey(c: ToolChoice): string {
  const slots = Object.entries(c.slots ?? {}).sort(([a], [b]) => a.localeCompare(b))
  return JSON.stringify([c.model, slots])
}

function freshUi(t: ToolStatus): ToolUi {
  const slots: Record<string, string> = {}
  for (const s of t.slots) slots[s] = ''
  return {
    model: t.state === 'ours' && t.model ? t.model : '',
    slots,
    plan: null,
    planned: '',
    result: null,
    resultOf: null,
    busy: '',
    error: '',
  }
}

export class ToolsStore {
  tools = $state<ToolStatus[]>([])
  manual = $state<ManualTool[]>([])
  snippet = $state('')
  /** routable models for the pickers */
  models = $state<ModelInfo[]>([])
  loaded = $state(false)
  loading = $state(false)
  /** failure to load (or re-read) the tools */
  error = $state('')
  /** per tool id */
  ui = $state<Record<string, ToolUi>>({})

  private client: ToolsApi
  private seq = 0

  constructor(client: ToolsApi = api) {
    this.client = client
  }

  /** model ids the pickers offer: any model, alias or combo; embedding models left out */
  modelIds(): string[] {
    return [...new Set(this.models.filter((x) => !x.Embedding).map((x) => x.ID))].filter(Boolean).sort()
  }

  find(id: string): ToolStatus | undefined {
    return this.tools.find((t) => t.id === id)
  }

  /** the request body for a tool's current picks */
  choice(id: string): ToolChoice {
    const ui = this.ui[id]
    const known = this.find(id)?.slots ?? Object.keys(ui?.slots ?? {})
    const slots: Record<string, string> = {}
    for (const s of known) slots[s] = ui?.slots[s] ?? ''
    return toolChoice(ui?.model ?? '', slots)
  }

  /** a preview exists and was made for the current picks */
  planIsCurrent(id: string): boolean {
    const ui = this.ui[id]
    return !!ui?.plan && ui.planned === choiceKey(this.choice(id))
  }

  private take(tools: ToolStatus[], manual: ManualTool[], snippet: string) {
    const ui = this.ui
    for (const t of tools) {
      const cur = ui[t.id]
      if (!cur) {
        ui[t.id] = freshUi(t)
        continue
      }
      for (const s of t.slots) if (!(s in cur.slots)) cur.slots[s] = ''
      if (!cur.model && t.state === 'ours' && t.model) cur.model = t.model
    }
    this.tools = tools
    this.manual = manual
    this.snippet = snippet
  }

  /** Detect the tools and read the models for the pickers. */
  async load(): Promise<void> {
    this.loading = true
    const mine = ++this.seq
    try {
      const [overview, models] = await Promise.all([
        this.client.getTools(),
        // the picker is a convenience: a model can always be typed
        this.client.listModels().catch(() => null),
      ])
      if (mine !== this.seq) return
      this.take(overview.tools, overview.manual, overview.snippet)
      if (models) this.models = models
      this.error = ''
      this.loaded = true
    } catch (e) {
      if (mine === this.seq) this.error = message(e)
    } finally {
      if (mine === this.seq) this.loading = false
    }
  }

  /** Detect the tools again (after an action); a failure keeps what is shown. */
  async refresh(): Promise<void> {
    const mine = ++this.seq
    try {
      const overview = await this.client.getTools()
      if (mine !== this.seq) return
      this.take(overview.tools, overview.manual, overview.snippet)
      this.error = ''
      this.loaded = true
    } catch (e) {
      if (mine === this.seq) this.error = message(e)
    } finally {
      if (mine === this.seq) this.loading = false
    }
  }

  /** Preview what applying the current picks would write. */
  async preview(id: string): Promise<boolean> {
    const ui = this.ui[id]
    if (!ui || ui.busy) return false
    const choice = this.choice(id)
    ui.busy = 'plan'
    ui.error = ''
    ui.result = null
    ui.resultOf = null
    try {
      const plan = await this.client.planTool(id, choice)
      ui.plan = plan
      ui.planned = choiceKey(choice)
      return true
    } catch (e) {
      ui.plan = null
      ui.planned = ''
      ui.error = toolMessage(e)
      return false
    } finally {
      ui.busy = ''
    }
  }

  /** Apply the previewed picks, then detect again. */
  async apply(id: string): Promise<ToolResult | null> {
    const ui = this.ui[id]
    if (!ui || ui.busy) return null
    if (!this.planIsCurrent(id)) {
      ui.error = m.tools_preview_first()
      return null
    }
    const choice = this.choice(id)
    ui.busy = 'apply'
    ui.error = ''
    try {
      const result = await this.client.applyTool(id, choice)
      ui.plan = null
      ui.planned = ''
      ui.result = result
      ui.resultOf = 'apply'
      await this.refresh()
      return result
    } catch (e) {
      ui.error = toolMessage(e)
      return null
    } finally {
      ui.busy = ''
    }
  }

  /** Take the tool back (files restored, its key revoked), then detect again. */
  async undo(id: string): Promise<ToolResult | null> {
    const ui = this.ui[id]
    if (!ui || ui.busy) return null
    ui.busy = 'undo'
    ui.error = ''
    try {
      const result = await this.client.undoTool(id)
      ui.plan = null
      ui.planned = ''
      ui.result = result
      ui.resultOf = 'undo'
      await this.refresh()
      return result
    } catch (e) {
      ui.error = toolMessage(e)
      return null
    } finally {
      ui.busy = ''
    }
  }

  discardPlan(id: string): void {
    const ui = this.ui[id]
    if (!ui) return
    ui.plan = null
    ui.planned = ''
  }

  dismissResult(id: string): void {
    const ui = this.ui[id]
    if (!ui) return
    ui.result = null
    ui.resultOf = null
  }
}

export const toolsStore = new ToolsStore()
