// Combos: named, ordered lists of targets a strategy picks from. The list carries
// each target's live state (refreshed while the page is visible); the editor works
// on a draft that becomes a ComboInput when saved.

import { api, type Api } from '../api/client'
import type { ComboInput, ComboStrategy, ComboView, ModelInfo } from '../api/types'
import { m } from '../i18n'
import { startPolling, type PollerDeps } from '../poller'

export type CombosApi = Pick<Api, 'listCombos' | 'saveCombo' | 'deleteCombo' | 'listModels' | 'suggestCombo'>

/** how often target states are refreshed while the page is visible */
export const COMBO_REFRESH_MS = 3000

/** a strategy as the user reads it (label and hint in the active language) */
export interface StrategyInfo {
  id: string
  readonly label: string
  readonly hint: string
}

function strategy(id: ComboStrategy, label: () => string, hint: () => string): StrategyInfo & { id: ComboStrategy } {
  return {
    id,
    get label() {
      return label()
    },
    get hint() {
      return hint()
    },
  }
}

export const STRATEGIES: (StrategyInfo & { id: ComboStrategy })[] = [
  strategy('priority', m.strategy_priority, m.strategy_priority_hint),
  strategy('fill-first', m.strategy_fill_first, m.strategy_fill_first_hint),
  strategy('round-robin', m.strategy_round_robin, m.strategy_round_robin_hint),
  strategy('weighted', m.strategy_weighted, m.strategy_weighted_hint),
  strategy('p2c', m.strategy_p2c, m.strategy_p2c_hint),
  strategy('random', m.strategy_random, m.strategy_random_hint),
  strategy('least-used', m.strategy_least_used, m.strategy_least_used_hint),
  strategy('cost-optimized', m.strategy_cost_optimized, m.strategy_cost_optimized_hint),
  strategy('quota-aware', m.strategy_quota_aware, m.strategy_quota_aware_hint),
]

export const DEFAULT_STRATEGY: ComboStrategy = 'priority'

export function strategyInfo(id: string): StrategyInfo {
  return STRATEGIES.find((s) => s.id === id) ?? { id, label: id || m.strategy_priority(), hint: '' }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

// ---------------------------------------------------------------------------
// the editor's draft

export interface TargetDraft {
  /** stable identity for keyed lists (reordering keeps each row's inputs) */
  key: number
  model: string
  account: string
  /** as typed; only used by the weighted strategy */
  weight: string
  onlyWhenExhausted: boolean
}

export interface ComboDraft {
  name: string
  strategy: ComboStrategy
  /** as typed; only used by round-robin */
  sticky: string
  /** as typed, in seconds; empty = no budget */
  budgetSec: string
  targets: TargetDraft[]
}

let nextKey = 1

export function emptyTarget(model = ''): TargetDraft {
  return { key: nextKey++, model, account: '', weight: '', onlyWhenExhausted: false }
}

export function emptyComboDraft(): ComboDraft {
  return { name: '', strategy: DEFAULT_STRATEGY, sticky: '', budgetSec: '', targets: [emptyTarget()] }
}

/** A draft to edit an existing combo. */
export function draftFromCombo(c: ComboView): ComboDraft {
  const known = STRATEGIES.some((s) => s.id === c.strategy)
  return {
    name: c.name,
    strategy: known ? (c.strategy as ComboStrategy) : DEFAULT_STRATEGY,
    sticky: c.sticky ? String(c.sticky) : '',
    budgetSec: c.budgetMs ? String(c.budgetMs / 1000) : '',
    targets: c.targets.map((t) => ({
      key: nextKey++,
      model: t.model,
      account: t.account ?? '',
      weight: t.weight ? String(t.weight) : '',
      onlyWhenExhausted: !!t.onlyWhenExhausted,
    })),
  }
}

/** A copy of `list` with the item at `from` moved to index `to` (clamped). */
export function moveItem<T>(list: T[], from: number, to: number): T[] {
  if (from < 0 || from >= list.length) return [...list]
  const dest = Math.max(0, Math.min(list.length - 1, to))
  if (dest === from) return [...list]
  const out = [...list]
  const [item] = out.splice(from, 1)
  out.splice(dest, 0, item)
  return out
}

function wholeNumber(raw: string, label: string): number | string {
  const t = String(raw ?? '').trim()
  if (!t) return 0
  if (!/^\d+$/.test(t)) return m.combo_err_whole({ label })
  return Number(t)
}

/** Validate a draft; returns the request body or a message for the user. */
export function comboInput(d: ComboDraft): { input: ComboInput } | { error: string } {
  const name = d.name.trim()
  if (!name) return { error: m.combo_err_name() }
  if (/\s/.test(name)) return { error: m.combo_err_spaces() }
  if (name.includes('/')) return { error: m.combo_err_slash() }
  const strategy = STRATEGIES.some((s) => s.id === d.strategy) ? d.strategy : DEFAULT_STRATEGY

  let sticky = 0
  if (strategy === 'round-robin') {
    const v = wholeNumber(d.sticky, m.combo_sticky())
    if (typeof v === 'string') return { error: v }
    sticky = v
  }

  let budgetMs = 0
  const b = String(d.budgetSec ?? '').trim()
  if (b) {
    const secs = Number(b)
    if (!/^\d+(\.\d+)?$/.test(b) || !Number.isFinite(secs)) return { error: m.combo_err_budget() }
    budgetMs = Math.round(secs * 1000)
  }

  const targets: ComboInput['targets'] = []
  for (const [i, t] of d.targets.entries()) {
    const model = t.model.trim()
    if (!model) return { error: m.combo_err_target_model({ n: i + 1 }) }
    if (model === name) return { error: m.combo_err_self() }
    let weight = 0
    if (strategy === 'weighted') {
      const v = wholeNumber(t.weight, m.combo_weight_of({ n: i + 1 }))
      if (typeof v === 'string') return { error: v }
      weight = v
    }
    targets.push({ model, account: t.account.trim(), weight, onlyWhenExhausted: t.onlyWhenExhausted })
  }
  if (targets.length === 0) return { error: m.combo_err_no_targets() }
  return { input: { name, strategy, sticky, budgetMs, targets } }
}

// ---------------------------------------------------------------------------

export interface CombosDeps {
  client: CombosApi
  poller: Partial<PollerDeps>
}

export class CombosStore {
  items = $state<ComboView[]>([])
  /** routable models (aliases and combos too: combos can nest), for the target picker */
  models = $state<ModelInfo[]>([])
  loaded = $state(false)
  loading = $state(false)
  /** failure to load */
  error = $state('')
  saving = $state(false)
  saveError = $state('')
  /** name of the combo being deleted */
  removing = $state<string | null>(null)
  removeError = $state('')
  suggestError = $state('')

  private client: CombosApi
  private pollerDeps: Partial<PollerDeps>
  private seq = 0

  constructor(client: CombosApi = api, deps: Partial<Omit<CombosDeps, 'client'>> = {}) {
    this.client = client
    this.pollerDeps = deps.poller ?? {}
  }

  /** model ids a target can point at (the combo being edited excluded) */
  targetIds(except = ''): string[] {
    return [...new Set(this.models.map((m) => m.ID))].filter((id) => id && id !== except).sort()
  }

  find(name: string): ComboView | undefined {
    return this.items.find((c) => c.name === name)
  }

  /** Load the combos and the models for the picker. */
  async load(): Promise<void> {
    this.loading = true
    const mine = ++this.seq
    try {
      const [items, models] = await Promise.all([this.client.listCombos(), this.client.listModels()])
      if (mine !== this.seq) return
      this.items = items
      this.models = models
      this.error = ''
      this.loaded = true
    } catch (e) {
      if (mine === this.seq) this.error = message(e)
    } finally {
      if (mine === this.seq) this.loading = false
    }
  }

  /** Re-read the combos (live target states) without touching the picker; a failure keeps the list. */
  async refresh(): Promise<void> {
    if (this.loading) return
    const mine = ++this.seq
    try {
      const items = await this.client.listCombos()
      if (mine !== this.seq) return
      this.items = items
      this.error = ''
      this.loaded = true
    } catch (e) {
      if (mine === this.seq) this.error = message(e)
    }
  }

  /** Refresh every COMBO_REFRESH_MS while the page is visible. Returns the stop function. */
  startPolling(): () => void {
    return startPolling(() => void this.refresh(), COMBO_REFRESH_MS, this.pollerDeps)
  }

  /** A draft of the suggested combo (subscriptions first), or null with suggestError set. */
  async suggest(): Promise<ComboDraft | null> {
    this.suggestError = ''
    try {
      const c = await this.client.suggestCombo()
      if (c.targets.length === 0) {
        this.suggestError = m.combo_err_suggest_none()
        return null
      }
      return draftFromCombo({ ...c, source: 'store', targets: c.targets.map((t) => ({ ...t, state: 'ok' })) })
    } catch (e) {
      this.suggestError = message(e)
      return null
    }
  }

  /** Create (`isNew`) or replace a combo from the editor. */
  async save(draft: ComboDraft, isNew = false): Promise<boolean> {
    const v = comboInput(draft)
    if ('error' in v) {
      this.saveError = v.error
      return false
    }
    const existing = this.find(v.input.name)
    if (isNew && existing?.source === 'store') {
      this.saveError = m.combo_err_exists({ name: v.input.name })
      return false
    }
    if (existing?.source === 'config') {
      this.saveError = m.combo_err_config({ name: v.input.name })
      return false
    }
    this.saving = true
    this.saveError = ''
    try {
      await this.client.saveCombo(v.input)
      await this.load()
      return true
    } catch (e) {
      this.saveError = message(e)
      return false
    } finally {
      this.saving = false
    }
  }

  async remove(name: string): Promise<boolean> {
    this.removing = name
    this.removeError = ''
    try {
      await this.client.deleteCombo(name)
      this.items = this.items.filter((c) => c.name !== name)
      await this.load()
      return true
    } catch (e) {
      this.removeError = message(e)
      return false
    } finally {
      this.removing = null
    }
  }

  clearSaveError(): void {
    this.saveError = ''
  }
}

export const combosStore = new CombosStore()
